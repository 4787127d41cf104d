import { noFaults, type Scenario } from "../../../search/scenario.js";
import { eachAnswered, explore, get, isolate, put, reach, recover, settle } from "./phases.js";
import {
  allNormalIn,
  and,
  caughtUp,
  changingViewsFrom,
  checkpointed,
  clientCompleted,
  commitAtMost,
  inViewAtLeast,
  logAtLeast,
  logAtMost,
  normalAndShorter,
  normalIn,
  not,
  or,
  sent,
  viewNumAbove,
  viewNumRoseAbove,
} from "./predicates.js";
import { timings } from "./timings.js";

// Directed search tests (DSLabs' search tests with phases that reach a state
// on purpose): each drives the cluster into one failure case of VR
// (docs/VR.md, and docs/RULES.md's VR table), explores from there with every
// check on, then proves the clients still finish once the faults stop.
// Replica server-N is index N-1; the primary of view v is replica v mod 3.

const directedBounds = {
  statesMax: 100_000,
  secondsMax: 5,
  probes: { depthMax: 80, secondsMax: 2 },
} as const;

export const partitionedPrimary: Scenario = {
  name: "vr-partitioned-primary",
  description:
    "three replicas; client-1 writes through the primary of view 0, which is then cut off from both backups (clients still reach it); the backups start view 1 and client-2 writes a new value there; client-1, still on view 0, reads from the old primary: it must never answer (a get goes through the log, and it can commit nothing), and the read, retried, returns the new value",
  world: {
    servers: 3,
    clients: [
      { client: "client-1", ops: [put("a", "1"), get("a")] },
      { client: "client-2", ops: [put("a", "2")] },
    ],
    results: "history",
    config: timings,
  },
  phases: [
    settle(),
    reach({
      name: "warm up",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokers: ["client-1"], fairTimers: true },
      depthMax: 16,
    }),
    reach({
      name: "primary cut off",
      goal: and(normalIn(0, 0), normalIn(1, 1), normalIn(2, 1)),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, cut: isolate("server-1", 3) },
      depthMax: 12,
    }),
    reach({
      name: "new value written",
      goal: clientCompleted("client-2", 1),
      prunes: [viewNumRoseAbove(0), not(normalIn(0, 0))],
      events: { ...noFaults, invokers: ["client-2"], fairTimers: true, cut: isolate("server-1", 3) },
      depthMax: 24,
    }),
    explore({
      name: "read on the old view",
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokers: ["client-1"], cut: isolate("server-1", 3) },
      depthMax: 30,
      ...directedBounds,
    }),
    explore({
      name: "partition heals",
      startFrom: "new value written",
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokers: ["client-1"] },
      depthMax: 30,
      ...directedBounds,
    }),
    // Two steps, each exhaustive: the old primary learns of view 1 and joins it, then client-1 reads.
    { ...recover("rejoin", [viewNumRoseAbove(1)], allNormalIn(null)), startFrom: "new value written" },
    recover("recover", [viewNumRoseAbove(0)]),
  ],
};

export const stateTransfer: Scenario = {
  name: "vr-state-transfer",
  description:
    "three replicas, a checkpoint every committed entry; server-3 is cut off while the client writes twice, and the others drop the entries it lacks into a checkpoint: once back, it fetches the checkpoint in chunks and the entries after it, and executes what the others did; the client's get sees both writes",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), put("b", "y"), get("a")] }],
    results: "expected",
    config: { ...timings, checkpointEntries: 1 },
  },
  phases: [
    settle(),
    ...eachAnswered("client-1", 2).map((phase, i) => ({
      ...phase,
      name: `write ${i + 1} without server-3`,
      goal: clientCompleted("client-1", i + 1),
      events: { ...phase.events, cut: isolate("server-3", 3) },
    })),
    reach({
      name: "checkpointed",
      goal: and(checkpointed(0), checkpointed(1)),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokes: false, fairTimers: true, cut: isolate("server-3", 3) },
      depthMax: 10,
    }),
    reach({
      name: "server-3 caught up",
      goal: caughtUp(2, 3),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 16,
    }),
    explore({
      name: "transfer",
      startFrom: "checkpointed",
      prunes: [viewNumRoseAbove(1)],
      events: noFaults,
      depthMax: 40,
      ...directedBounds,
    }),
    { ...recover(), startFrom: "checkpointed" },
  ],
};

/**
 * Vanlightly's state_transfer_violation_trace (github.com/Vanlightly/
 * vsr-tlaplus; docs/VR.md "Not the paper's truncation"), in pbkv's view
 * numbers: W (client-1's put, op 2) is committed in view 0 by server-1 with
 * server-2's acknowledgement, and neither backup knows it committed; server-2
 * and server-3 start view 1 (server-2 primary, W uncommitted); server-1 and
 * server-2 go through views 2 and 3 without server-3, and server-1 starts
 * view 3 before server-2 hears of it (server-2 stays changing views, last
 * normal in view 1). Then server-3, a backup still in view 1 and behind,
 * hears server-1's Commit of view 3. With the paper's truncation it drops W,
 * adopts view 3 as its last normal view, and wins the view change to view 4
 * against server-2 (last normal view 1): W is lost.
 */
export const vanlightly: Scenario = {
  name: "vr-vanlightly",
  description:
    "Vanlightly's state-transfer schedule: a backup still in view 1, behind, hears the primary of view 3 while the replica that holds an acknowledged write is stuck changing views with last normal view 1; then the view change to view 4 must keep the write",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
    config: timings,
  },
  phases: [
    settle(),
    reach({
      name: "W acknowledged",
      goal: and(clientCompleted("client-1", 1), logAtLeast(1, 2), commitAtMost(1, 1), logAtMost(2, 1)),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true, cut: [["server-1", "server-3"]] },
      depthMax: 16,
    }),
    reach({
      name: "view 1 without server-1",
      goal: and(normalIn(1, 1), normalIn(2, 1), commitAtMost(1, 1)),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, cut: isolate("server-1", 3) },
      depthMax: 12,
    }),
    reach({
      name: "view 2 without server-3",
      goal: and(inViewAtLeast(0, 2), inViewAtLeast(1, 2), commitAtMost(1, 1)),
      prunes: [viewNumAbove(2)],
      events: { ...noFaults, invokes: false, cut: isolate("server-3", 3) },
      depthMax: 12,
    }),
    reach({
      name: "view 3 without server-3",
      goal: and(normalIn(0, 3), changingViewsFrom(1, 1), commitAtMost(1, 1)),
      prunes: [viewNumAbove(3)],
      events: { ...noFaults, invokes: false, cut: isolate("server-3", 3) },
      depthMax: 12,
    }),
    reach({
      // From server-1's Prepare or Commit of view 3, not its StartView (also on its way to
      // server-3): the correct protocol asks for StartView, the paper's truncation adopts view 3.
      name: "server-3 hears view 3",
      goal: or(sent("server-3", "GetStartView"), normalAndShorter(2, 3, 0)),
      prunes: [viewNumAbove(3)],
      events: { ...noFaults, invokes: false, cut: isolate("server-2", 3) },
      depthMax: 8,
    }),
    reach({
      name: "view 4 without server-1",
      goal: and(normalIn(1, 4), normalIn(2, 4)),
      prunes: [viewNumAbove(4)],
      events: { ...noFaults, invokes: false, cut: isolate("server-1", 3) },
      depthMax: 14,
    }),
    explore({
      name: "read in view 4",
      prunes: [viewNumAbove(4)],
      events: { ...noFaults, cut: isolate("server-1", 3) },
      depthMax: 30,
      ...directedBounds,
    }),
    // Two steps, each exhaustive: server-1 learns of view 4 and joins it, then the client reads.
    { ...recover("rejoin", [viewNumAbove(5)], allNormalIn(null)), startFrom: "view 4 without server-1" },
    recover("recover", [viewNumRoseAbove(0)]),
  ],
};

export const directedScenarios: readonly Scenario[] = [partitionedPrimary, stateTransfer, vanlightly];
