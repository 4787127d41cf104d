import { noFaults, type Scenario } from "../../../search/scenario.js";
import { directedScenarios } from "./directedScenarios.js";
import {
  append,
  crashes,
  eachAnswered,
  explore,
  get,
  put,
  reach,
  recover,
  recoverOutstanding,
  safetyBounds,
  settle,
} from "./phases.js";
import {
  and,
  clientBusy,
  joinerInstalled,
  masterChainIs,
  restarted,
  viewNumRoseAbove,
} from "./predicates.js";
import { timings } from "./timings.js";

// Chain replication's search tests (after DSLabs' search tests, as pb's and
// VR's scenarios.ts): each has a liveness part (reach phases; where there
// are faults, a recover phase: once they stop, the clients finish) and a
// safety part (explore phases: no invariant breaks within the bounds;
// appliedAgree, chainPrefix, linearizable results and one answering tail
// per view above all). Outside recover phases the master's check fires at
// any moment, so it may declare a live server dead at will (any ping lost
// or late). Each scenario settles its chain in address order: server-1 is
// the head, server-2 the middle, server-3 the tail. Directed scenarios (each
// position failing, a relink, a join, a stale tail) are in
// directedScenarios.ts.

export const normalOperation: Scenario = {
  name: "chain-normal",
  description:
    "a chain of three, one client doing put, append, get: updates enter at the head and are answered by the tail once it applied them, the read is answered by the tail after its predecessor confirmed the chain; then, with the master declaring live servers dead at will, no invariant breaks",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), append("a", "y"), get("a")] }],
    results: "expected",
    config: { ...timings, chainLength: 3 },
  },
  phases: [
    ...settle(3),
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

export const reorderedForwards: Scenario = {
  name: "chain-reordered-forwards",
  description:
    "a chain of two, two clients appending to one key, one position per Forward and two Forwards in flight, so that they reach the tail in either order (and again): the tail applies positions in the head's order, holding those after a gap, and the history is linearizable",
  world: {
    servers: 2,
    clients: [
      { client: "client-1", ops: [append("a", "1"), get("a")] },
      { client: "client-2", ops: [append("a", "2"), get("a")] },
    ],
    results: "history",
    config: { ...timings, chainLength: 2, forwardBatchMax: 1, forwardWindow: 2 },
  },
  phases: [
    ...settle(2),
    reach({
      name: "both waiting",
      goal: and(clientBusy("client-1"), clientBusy("client-2")),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax: 4,
    }),
    explore({
      name: "reordered positions",
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 40,
      ...safetyBounds,
    }),
    recoverOutstanding("recover", [viewNumRoseAbove(0)]),
  ],
};

export const randomDeep: Scenario = {
  name: "chain-random-deep",
  description:
    "a chain of three, two clients sharing a key, one crash and one restart of any server (the head included) with messages to its previous life still in flight: random walks hundreds of events deep, every history checked for linearizability and applied states compared on every state; after the head restarts while both clients wait, the master drops it and it joins again as the tail",
  world: {
    servers: 3,
    clients: [
      { client: "client-1", ops: [append("a", "1"), get("a"), append("a", "3"), get("a")] },
      { client: "client-2", ops: [append("a", "2"), get("a"), put("a", "4"), get("a")] },
    ],
    results: "history",
    config: { ...timings, chainLength: 3 },
    restartPurgesMessages: false,
  },
  phases: [
    ...settle(3),
    reach({
      name: "both waiting",
      goal: and(clientBusy("client-1"), clientBusy("client-2")),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax: 6,
    }),
    reach({
      name: "head restarted",
      goal: restarted("server-1"),
      prunes: [viewNumRoseAbove(0)],
      events: { ...crashes(3, 1, 1), crashable: ["server-1"], invokes: false },
      depthMax: 2,
    }),
    // Exhaustive steps: the master drops the restarted head, which then installs the tail's
    // snapshot and is linked in as the tail.
    // That the clients then finish is what the failure scenarios show, one position at a time.
    {
      ...recover("dropped", [viewNumRoseAbove(1)], masterChainIs("server-2", "server-3")),
      events: { ...noFaults, invokes: false, fairTimers: true },
    },
    {
      ...recover("installed", [viewNumRoseAbove(1)], joinerInstalled("server-1")),
      events: { ...noFaults, invokes: false, fairTimers: true },
    },
    {
      ...recover("rejoin", [viewNumRoseAbove(1)], masterChainIs("server-2", "server-3", "server-1")),
      events: { ...noFaults, invokes: false, fairTimers: true },
    },
    explore({
      name: "deep",
      startFrom: "settle",
      prunes: [viewNumRoseAbove(8)],
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
  reorderedForwards,
  ...directedScenarios,
  randomDeep,
];
