import { noFaults, type Scenario } from "../../../search/scenario.js";
import { directedScenarios } from "./directedScenarios.js";
import { reconfigurationScenarios } from "./epochScenarios.js";
import {
  append,
  crashes,
  eachAnswered,
  explore,
  get,
  isolate,
  put,
  reach,
  recover,
  recoverOutstanding,
  settle,
} from "./phases.js";
import {
  allNormalIn,
  aloneHoldsUncommitted,
  and,
  clientBusy,
  clientCompleted,
  commitAtLeast,
  commitAtMost,
  entryOf,
  logAtLeast,
  logAtMost,
  normalIn,
  recoveredAfterCrash,
  replicaDown,
  restarted,
  startPrimaryRef,
  viewNumAbove,
  viewNumRoseAbove,
} from "./predicates.js";
import { timings } from "./timings.js";

// VR's search tests (after DSLabs' search tests, as pb's scenarios.ts): each
// has a liveness part (reach phases; and, where there are faults, a recover
// phase: once they stop, the clients finish) and a safety part (explore
// phases: no invariant breaks within the bounds, committedAgree and
// linearizable results above all). Three replicas (f = 1). Outside recover
// phases timers fire at any moment, which covers the loss and delay of any
// message: a backup that misses its primary's heartbeats changes views.
// Directed scenarios (a partition, state transfer, Vanlightly's schedule)
// are in directedScenarios.ts.

/** Every explore phase's bounds: a BFS, then random probes beyond it. */
const safetyBounds = { statesMax: 100_000, secondsMax: 4, probes: { depthMax: 300, secondsMax: 2 } } as const;

export const normalOperation: Scenario = {
  name: "vr-normal",
  description:
    "three replicas, one client doing put, append, get: every operation is prepared, acknowledged by a quorum, committed and answered; then, with backups suspecting the primary at will, no invariant breaks",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), append("a", "y"), get("a")] }],
    results: "expected",
    config: timings,
  },
  phases: [
    settle(),
    ...eachAnswered("client-1", 3),
    explore({
      name: "safety",
      startFrom: "settle",
      prunes: [viewNumRoseAbove(2)],
      events: noFaults,
      depthMax: 60,
      ...safetyBounds,
    }),
  ],
};

/** Two clients sharing a key, for the view-change scenarios. */
const twoClients: Scenario["world"] = {
  servers: 3,
  clients: [
    { client: "client-1", ops: [put("a", "1"), get("a")] },
    { client: "client-2", ops: [put("a", "2"), get("a")] },
  ],
  results: "history",
  config: timings,
};

/** Server-1, primary of view 0, logs client-1's put (op 2) and no backup gets it; the backups start view 1 without it. */
const deposedWithUncommittedPut = [
  settle(),
  reach({
    name: "uncommitted at the primary",
    goal: and(logAtLeast(0, 2), aloneHoldsUncommitted(0)),
    prunes: [viewNumRoseAbove(0)],
    events: { ...noFaults, invokers: ["client-1"], fairTimers: true },
    depthMax: 16,
  }),
  reach({
    name: "view 1 without it",
    goal: and(normalIn(1, 1), normalIn(2, 1), logAtMost(1, 1), logAtLeast(0, 2)),
    prunes: [viewNumRoseAbove(1)],
    events: { ...noFaults, invokes: false, cut: isolate("server-1", 3) },
    depthMax: 12,
  }),
];

export const viewChange: Scenario = {
  name: "vr-view-change",
  description:
    "three replicas, two clients sharing a key; the primary logs client-1's put but its Prepares are lost, and the two backups move to view 1 without it; then client-2 writes through the new primary while the deposed primary's Prepare may still arrive: backups take Prepares of their own view only, and committed entries agree everywhere; after the faults the clients finish",
  world: twoClients,
  phases: [
    ...deposedWithUncommittedPut,
    explore({
      name: "deposed primary's Prepare",
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokers: ["client-2"] },
      depthMax: 40,
      ...safetyBounds,
    }),
    { ...recoverOutstanding(), startFrom: "view 1 without it" },
    explore({
      name: "safety",
      startFrom: "settle",
      prunes: [viewNumRoseAbove(2)],
      events: noFaults,
      depthMax: 60,
      ...safetyBounds,
    }),
  ],
};

export const staleLog: Scenario = {
  name: "vr-stale-log",
  description:
    "as vr-view-change, then view 1 commits client-2's session at op 2, where the deposed primary holds client-1's uncommitted put, and server-3 (last normal in view 1) starts view 2 with the deposed primary's vote (last normal in view 0): the new view takes the log of the later view, and committed entries agree everywhere",
  world: twoClients,
  phases: [
    ...deposedWithUncommittedPut,
    reach({
      // Client-2's session is opened in view 1 at op-number 2, the position of server-1's stale
      // put; server-3 holds it but has not heard it committed.
      name: "op 2 committed in view 1",
      goal: and(entryOf(1, 2, "client-2"), commitAtLeast(1, 2), commitAtMost(2, 1), logAtLeast(2, 2)),
      prunes: [viewNumRoseAbove(0), entryOf(1, 2, "client-1")],
      events: { ...noFaults, invokers: ["client-2"], fairTimers: true, cut: isolate("server-1", 3) },
      depthMax: 12,
    }),
    reach({
      // Server-2 is cut off; server-3 starts view 2 with server-1's DoViewChange, whose log
      // (last normal in view 0) is as long as its own (last normal in view 1).
      name: "view 2 from server-3 and server-1",
      goal: normalIn(2, 2),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, cut: isolate("server-2", 3) },
      depthMax: 12,
    }),
    explore({
      name: "view 2's log",
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokes: false, cut: isolate("server-2", 3) },
      depthMax: 30,
      ...safetyBounds,
    }),
    // Steps, each exhaustive: server-2 joins view 2 (or a later one), then each put is answered.
    recover("rejoin", [viewNumRoseAbove(2)], allNormalIn(null)),
    {
      ...recoverOutstanding("recover client-1", [viewNumRoseAbove(0)]),
      goal: clientCompleted("client-1", 1),
    },
    { ...recoverOutstanding("recover", [viewNumRoseAbove(0)]), goal: clientCompleted("client-2", 1) },
  ],
};

export const primaryCrash: Scenario = {
  name: "vr-primary-crash",
  description:
    "three replicas, one client; the primary fails after logging a put and sending its Prepare, before any backup holds it; the backups start view 1, the client retries there, and its get must see the put only if the put was answered; after the crash the client finishes",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
    config: timings,
  },
  phases: [
    settle(),
    reach({
      name: "put logged",
      goal: and(clientBusy("client-1"), logAtLeast(0, 2)),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax: 16,
    }),
    reach({
      name: "primary down",
      goal: and(replicaDown(0), logAtMost(1, 1), logAtMost(2, 1)),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokes: false, crashable: [startPrimaryRef], crashesMax: 1 },
      depthMax: 4,
    }),
    reach({
      name: "view 1",
      goal: and(normalIn(1, 1), normalIn(2, 1)),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false },
      depthMax: 12,
    }),
    explore({
      name: "retry in view 1",
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 30,
      ...safetyBounds,
    }),
    { ...recover(), startFrom: "view 1" },
    explore({
      name: "safety",
      startFrom: "settle",
      prunes: [viewNumRoseAbove(2)],
      events: crashes(3, 1, 0),
      depthMax: 60,
      ...safetyBounds,
    }),
  ],
};

export const recovery: Scenario = {
  name: "vr-recovery",
  description:
    "three replicas, one client; after its put is answered the primary crashes and restarts with nothing (no disk); answers to its first life's Recovery, sent when the cluster started, still reach it: it recovers only from answers carrying its new nonce, rejoins as a backup once the others moved to view 1, and the client's get sees the put",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
    config: timings,
    // Messages sent to the previous life stay in the network (durable queues).
    restartPurgesMessages: false,
  },
  phases: [
    settle(),
    reach({
      name: "put answered",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax: 16,
    }),
    reach({
      name: "primary restarted",
      goal: restarted(0),
      prunes: [viewNumRoseAbove(0)],
      events: { ...crashes(3, 1, 1), crashable: [startPrimaryRef], invokes: false },
      depthMax: 4,
    }),
    explore({
      name: "recovering",
      prunes: [viewNumRoseAbove(1)],
      events: noFaults,
      depthMax: 40,
      ...safetyBounds,
    }),
    // Two steps, each exhaustive: the restarted replica rejoins (the others first move to view 1), then the client finishes.
    recover("rejoin", [viewNumRoseAbove(2)], recoveredAfterCrash(0)),
    recover("recover", [viewNumRoseAbove(1)]),
    explore({
      name: "crashes and restarts",
      startFrom: "put answered",
      prunes: [viewNumRoseAbove(2)],
      events: crashes(3, 1, 1),
      depthMax: 60,
      ...safetyBounds,
    }),
  ],
};

export const randomDeep: Scenario = {
  name: "vr-random-deep",
  description:
    "three replicas, two clients sharing a key, one crash and one restart of any replica (the primary included) with messages to its previous life still in flight: random walks hundreds of events deep, every history checked for linearizability and committed entries compared on every state; after the primary restarts while both clients wait, it rejoins",
  world: {
    servers: 3,
    clients: [
      { client: "client-1", ops: [append("a", "1"), get("a"), append("a", "3"), get("a")] },
      { client: "client-2", ops: [append("a", "2"), get("a"), put("a", "4"), get("a")] },
    ],
    results: "history",
    config: timings,
    restartPurgesMessages: false,
  },
  phases: [
    settle(),
    reach({
      name: "both waiting",
      goal: and(clientBusy("client-1"), clientBusy("client-2")),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax: 6,
    }),
    reach({
      name: "primary restarted",
      goal: and(restarted(0), clientBusy("client-1"), clientBusy("client-2")),
      prunes: [viewNumRoseAbove(0)],
      events: { ...crashes(3, 1, 1), crashable: [startPrimaryRef], invokes: false },
      depthMax: 4,
    }),
    // The restarted primary rejoins (exhaustive). That the clients then finish is vr-recovery's
    // claim: here every message to the first life stays deliverable, and a BFS over two waiting
    // clients' retries among them takes millions of states.
    // About 650,000 states (11 s alone): the states bound decides; the search tests give goal
    // phases room on a loaded machine (goalTimeScale in test/support/searchScenarios.ts).
    recover("rejoin", [viewNumRoseAbove(2)], recoveredAfterCrash(0)),
    explore({
      name: "deep",
      startFrom: "settle",
      prunes: [viewNumAbove(8)],
      events: crashes(3, 1, 1),
      depthMax: 20,
      statesMax: 20_000,
      secondsMax: 2,
      probes: { depthMax: 500, secondsMax: 6 },
    }),
  ],
};

export const scenarios: readonly Scenario[] = [
  normalOperation,
  viewChange,
  staleLog,
  primaryCrash,
  recovery,
  randomDeep,
  ...directedScenarios,
  ...reconfigurationScenarios,
];
