import { type NamedPredicate, noFaults, type Phase, type Scenario } from "../../../search/scenario.js";
import {
  append,
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
  appliedEverywhereWaiting,
  clientCompleted,
  everyMemberTookUp,
  joinedDuringUpdates,
  joinerInstalled,
  masterChainIs,
  serverInView,
  serverDown,
  staleTail,
  updateHeldAt,
  viewNumRoseAbove,
} from "./predicates.js";
import { timings } from "./timings.js";

// Directed search tests (DSLabs' search tests with phases that reach a state
// on purpose): each drives the chain into one failure case of issue 18 (a
// position failing mid-update, a relink, a join during updates, a tail cut
// off from the master) and docs/RULES.md's chain table, explores from there
// with every check on, then proves the clients still finish once the faults
// stop. Each settles its chain in address order: server-1 is the head,
// server-2 the middle, server-3 the tail.

/** A chain of three and one client that writes then reads its key, for the failure scenarios. */
const oneWriter: Scenario["world"] = {
  servers: 3,
  clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
  results: "expected",
  config: { ...timings, chainLength: 3 },
};

/** Settle, then run client-1's put until `goal` (an update in flight in the chain). */
function putUntil(name: string, goal: NamedPredicate): Phase[] {
  return [
    ...settle(3),
    reach({
      name,
      goal,
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax: 16,
    }),
  ];
}

/**
 * Crash `server` (nothing else happens), explore from there; then, from the
 * crash, exhaustive steps: the master relinks the chain to `relinked` and
 * its tail takes it up, then every operation outstanding at the crash is
 * answered, then (`then`) the clients finish.
 */
function crashThenExplore(server: string, relinked: string[], then: Phase[] = [recover()]): Phase[] {
  const down = `${server} down`;
  return [
    reach({
      name: down,
      goal: serverDown(server),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokes: false, crashable: [server], crashesMax: 1 },
      depthMax: 1,
    }),
    explore({
      name: "after the crash",
      prunes: [viewNumRoseAbove(2)],
      events: noFaults,
      depthMax: 50,
      ...safetyBounds,
    }),
    {
      ...recover("relink", [viewNumRoseAbove(1)], masterChainIs(...relinked)),
      events: { ...noFaults, invokes: false, fairTimers: true },
      startFrom: down,
    },
    recoverOutstanding("answered", [viewNumRoseAbove(1)]),
    ...then,
  ];
}

export const headFails: Scenario = {
  name: "chain-head-fails",
  description:
    "a chain of three; the head applies client-1's put and fails before its successor has it; the master makes the middle server the head, the client retries there, and its get sees the put only if the put was answered; after the crash the client finishes",
  world: oneWriter,
  phases: [
    ...putUntil("put at the head only", updateHeldAt("client-1", "server-1", "server-2")),
    ...crashThenExplore("server-1", ["server-2", "server-3"]),
  ],
};

export const middleFails: Scenario = {
  name: "chain-middle-fails",
  description:
    "a chain of three; the middle server applies client-1's put and fails before the tail has it; the master relinks the head to the tail, which resends its Sent list (the tail may lack any of it): the tail applies the put once, answers it, and the get sees it; after the crash the client finishes",
  world: oneWriter,
  phases: [
    ...putUntil("put at the middle", updateHeldAt("client-1", "server-2", "server-3")),
    ...crashThenExplore("server-2", ["server-1", "server-3"]),
  ],
};

export const tailFails: Scenario = {
  name: "chain-tail-fails",
  description:
    "a chain of three; the tail applies client-1's put and fails before its answer reaches the client; the master makes the middle server the tail, which answers what its Sent list holds from its session table, and the get sees the put; after the crash the client finishes",
  world: oneWriter,
  phases: [
    ...putUntil("put applied everywhere", appliedEverywhereWaiting("client-1")),
    ...crashThenExplore("server-3", ["server-1", "server-2"]),
  ],
};

export const relink: Scenario = {
  name: "chain-relink",
  description:
    "a chain of three, two clients appending to one key; client-1's update is at the middle server but not the tail, client-2's at the head only, when the middle fails: the head resends both to the tail in its order, new updates follow them, and every server that applied as many positions holds the same state; after the crash the clients finish",
  world: {
    servers: 3,
    clients: [
      { client: "client-1", ops: [append("a", "1"), get("a")] },
      { client: "client-2", ops: [append("a", "2"), get("a")] },
    ],
    results: "history",
    config: { ...timings, chainLength: 3 },
  },
  phases: [
    ...settle(3),
    reach({
      name: "two updates in flight",
      goal: and(
        updateHeldAt("client-1", "server-2", "server-3"),
        updateHeldAt("client-2", "server-1", "server-2"),
      ),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax: 24,
    }),
    ...crashThenExplore("server-2", ["server-1", "server-3"], []),
  ],
};

export const join: Scenario = {
  name: "chain-join",
  description:
    "a chain of one, server-2 a spare; client-2 reads from the single server, then server-2 joins as the tail while client-1 writes: the put is applied after the snapshot the tail streams, and answered by the old tail before server-2 has it; the old tail hands over (and the master links server-2 in) only once server-2 holds every update it answered, so client-1's get at the new tail sees the put; client-2, still on the old chain, is sent to the new tail by the head",
  world: {
    servers: 2,
    clients: [
      { client: "client-1", ops: [put("a", "x"), get("a")] },
      { client: "client-2", ops: [get("a"), get("a")] },
    ],
    results: "history",
    config: { ...timings, chainLength: 2 },
  },
  phases: [
    ...settle(1),
    reach({
      name: "read from the single server",
      goal: clientCompleted("client-2", 1),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokers: ["client-2"], fairTimers: true },
      depthMax: 8,
    }),
    reach({
      name: "put answered during the join",
      goal: and(joinedDuringUpdates("server-2"), clientCompleted("client-1", 1)),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokers: ["client-1"], fairTimers: true },
      depthMax: 24,
    }),
    reach({
      name: "linked in",
      goal: and(masterChainIs("server-1", "server-2"), everyMemberTookUp),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 16,
    }),
    explore({
      name: "reads at the new tail",
      prunes: [viewNumRoseAbove(1)],
      events: noFaults,
      depthMax: 40,
      ...safetyBounds,
    }),
    // Two exhaustive steps, one reader each (both at once take millions of states).
    {
      ...recover("recover client-1", [viewNumRoseAbove(2)], clientCompleted("client-1", 2)),
      events: { ...noFaults, invokers: ["client-1"], fairTimers: true },
    },
    {
      ...recover("recover", [viewNumRoseAbove(2)]),
      events: { ...noFaults, invokers: ["client-2"], fairTimers: true },
    },
  ],
};

/** Server-3, the tail, cut off from the master (it keeps serving, unaware it was replaced). */
const tailCut = [["server-3", "master"]] as const;

export const staleTailReads: Scenario = {
  name: "chain-stale-tail",
  description:
    "a chain of three; client-1 writes through it, then the tail is cut off from the master, which drops it; client-2 overwrites the key through the new chain, whose tail is server-2; client-1, still on the old chain, reads from the old tail, which must not answer from its stale store (its predecessor, in a newer view, does not confirm it), and the read, retried, returns the new value",
  world: {
    servers: 3,
    clients: [
      { client: "client-1", ops: [put("a", "1"), get("a")] },
      { client: "client-2", ops: [put("a", "2")] },
    ],
    results: "history",
    config: { ...timings, chainLength: 3 },
  },
  phases: [
    ...settle(3),
    reach({
      name: "warm up",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokers: ["client-1"], fairTimers: true },
      depthMax: 16,
    }),
    reach({
      name: "tail dropped",
      goal: and(masterChainIs("server-1", "server-2"), staleTail("server-3")),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, cut: tailCut },
      depthMax: 12,
    }),
    reach({
      name: "overwritten",
      goal: and(clientCompleted("client-2", 1), staleTail("server-3")),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokers: ["client-2"], fairTimers: true, cut: tailCut },
      depthMax: 16,
    }),
    explore({
      name: "stale read",
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, cut: tailCut },
      depthMax: 40,
      ...safetyBounds,
    }),
    recover("recover", [viewNumRoseAbove(3)]),
  ],
};

/** Server-2 cut off from the master: it neither pings nor hears of a new view. */
const joinerCut = [["server-2", "master"]] as const;

export const rejoin: Scenario = {
  name: "chain-rejoin",
  description:
    "a chain of one, server-2 joining; server-2 installs the snapshot, then is cut off from the master, which drops it (view 3) without its hearing; client-1's put is answered meanwhile; the cut heals and the master names server-2 joining again behind the same tail (view 4): server-2 must install the new snapshot, not keep the old one, before the tail hands over, and client-1's get at the new tail sees the put",
  world: {
    servers: 2,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
    config: { ...timings, chainLength: 2 },
  },
  phases: [
    ...settle(1),
    reach({
      name: "installed",
      goal: joinerInstalled("server-2"),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 12,
    }),
    reach({
      name: "dropped unheard",
      goal: and(masterChainIs("server-1"), serverInView("server-2", 2)),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, cut: joinerCut },
      depthMax: 10,
    }),
    reach({
      name: "put answered",
      goal: and(clientCompleted("client-1", 1), serverInView("server-2", 2)),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true, cut: joinerCut },
      depthMax: 16,
    }),
    reach({
      name: "joined again",
      goal: and(masterChainIs("server-1", "server-2"), everyMemberTookUp),
      prunes: [viewNumRoseAbove(2)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 20,
    }),
    explore({
      name: "read at the new tail",
      prunes: [viewNumRoseAbove(1)],
      events: noFaults,
      depthMax: 30,
      ...safetyBounds,
    }),
    recover("recover", [viewNumRoseAbove(2)]),
  ],
};

export const directedScenarios: readonly Scenario[] = [
  headFails,
  middleFails,
  tailFails,
  relink,
  join,
  staleTailReads,
  rejoin,
];
