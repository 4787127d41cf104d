import { noFaults, type Phase, type Scenario } from "../../../search/scenario.js";
import { replicaAddress } from "../members.js";
import {
  allMembersNormal,
  epochAbove,
  leftOut,
  slotSettled,
  epochZeroSettled,
  operatorStarted,
  probeAnswered,
  reconfigurationLogged,
  removedUnheard,
  runsEpoch,
  statusIn,
} from "./epochPredicates.js";
import { allServers, append, explore, get, isolate, put, reach, recover } from "./phases.js";
import { and, clientCompleted, normalIn, replicaDown, viewNumAbove } from "./predicates.js";
import { timings } from "./timings.js";

// VR's reconfiguration scenarios (VR Revisited §7; docs/VR.md,
// "Reconfiguration"): an operator node asks for planned reconfigurations
// while a client writes. Each settles epoch 0 first (the operator waits),
// then follows the reconfiguration step by step (each a short BFS), and
// explores from the settled state with random walks that run the whole plan:
// committed entries agree, results are linearizable, and once the plan ran
// the client finishes.

const safetyBounds = { statesMax: 60_000, secondsMax: 4, probes: { depthMax: 400, secondsMax: 3 } } as const;

function world(
  replicas: number,
  spares: number,
  plan: number[][],
  ops = [put("a", "x"), append("a", "y"), get("a")],
) {
  return {
    servers: replicas + spares,
    clients: [{ client: "client-1", ops }],
    results: "history" as const,
    config: { ...timings, replicas, spares, operator: plan.map((members) => ({ members })) },
  };
}

/**
 * Epoch 0 settles a few replicas at a time, the others cut off (their
 * messages wait): the first three bootstrap view 0, then each other slot
 * recovers, as a member of view 0 or as a spare. Short searches instead of
 * one over every interleaving.
 */
function settleEpochZero(replicas: number, slots: number): Phase[] {
  const members = Array.from({ length: replicas }, (_, i) => i);
  const addresses = Array.from({ length: slots }, (_, i) => replicaAddress(i));
  const cutFrom = (first: number) =>
    addresses
      .slice(first)
      .flatMap((late) => addresses.filter((other) => other !== late).map((other) => [late, other] as const));
  const phases: Phase[] = [
    reach({
      name: slots === 3 ? "settle" : "first three settle",
      goal: allMembersNormal([0, 1, 2]),
      prunes: [operatorStarted, viewNumAbove(0)],
      events: { ...noFaults, invokes: false, cut: cutFrom(3) },
      depthMax: 30,
    }),
  ];
  for (let slot = 3; slot < slots; slot++)
    phases.push(
      reach({
        name: slot === slots - 1 ? "settle" : `server-${slot + 1} settles`,
        goal: slot === slots - 1 ? epochZeroSettled(members, slots) : slotSettled(slot, members),
        prunes: [operatorStarted, viewNumAbove(0)],
        events: { ...noFaults, invokes: false, cut: cutFrom(slot + 1) },
        depthMax: 16,
      }),
    );
  return phases;
}

/** The client's first operation, before any reconfiguration. */
const firstOp: Phase = reach({
  name: "first operation",
  goal: clientCompleted("client-1", 1),
  prunes: [operatorStarted, viewNumAbove(0)],
  events: { ...noFaults, fairTimers: true },
  depthMax: 12,
});

/**
 * The primary (server-1) logs the reconfiguration and hears server-4, the new
 * member, answer its probe; then server-4 runs epoch 1.
 */
const newMemberRuns: Phase[] = [
  reach({
    name: "logged",
    goal: reconfigurationLogged(0),
    prunes: [viewNumAbove(0)],
    events: { ...noFaults, invokes: false },
    depthMax: 6,
  }),
  reach({
    name: "server-4 answered the probe",
    goal: probeAnswered(0, 3),
    prunes: [viewNumAbove(0)],
    events: { ...noFaults, invokes: false },
    depthMax: 6,
  }),
  reach({
    name: "server-4 runs epoch 1",
    goal: runsEpoch(3, 1),
    prunes: [viewNumAbove(1)],
    events: { ...noFaults, invokes: false, fairTimers: true },
    depthMax: 16,
  }),
];

/** The whole plan, explored from the settled state with the client writing: the safety claim. */
function safety(epochs: number): Phase {
  return explore({
    name: "safety",
    startFrom: "settle",
    prunes: [epochAbove(epochs), viewNumAbove(6)],
    events: noFaults,
    depthMax: 30,
    ...safetyBounds,
  });
}

export const reconfGrow: Scenario = {
  name: "vr-reconf-grow",
  description:
    "three replicas and one spare, one client: the operator grows the group to four; the primary logs the reconfiguration, commits it and tells the old group at once, sends StartEpoch to server-4, which fetches the state and runs epoch 1 with the others; random walks through it all (CheckEpoch, the client's later operations) keep committed entries equal and results linearizable",
  world: world(3, 1, [[0, 1, 2, 3]]),
  phases: [
    ...settleEpochZero(3, 4),
    firstOp,
    ...newMemberRuns,
    reach({
      name: "all in epoch 1",
      goal: and(runsEpoch(0, 1), runsEpoch(1, 1), runsEpoch(2, 1)),
      prunes: [viewNumAbove(1)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 12,
    }),
    safety(1),
  ],
};

export const reconfReplace: Scenario = {
  name: "vr-reconf-replace",
  description:
    "three replicas and one spare, one client, Prepares pipelined (window 4): the operator replaces server-1, the primary, by server-4; server-1 executes the reconfiguration as removed, serves server-4's fetch and stops once two members of epoch 1 said EpochStarted; epoch 1's first view has server-3 as primary; random walks keep committed entries equal, one primary per view and results linearizable (requests the old primary gets after logging the reconfiguration wait for epoch 1)",
  world: { ...world(3, 1, [[1, 2, 3]]), config: { ...world(3, 1, [[1, 2, 3]]).config, prepareWindow: 4 } },
  phases: [
    ...settleEpochZero(3, 4),
    firstOp,
    ...newMemberRuns,
    reach({
      name: "server-1 retired",
      goal: statusIn(0, "retired", 1),
      prunes: [viewNumAbove(1)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 12,
    }),
    safety(1),
  ],
};

export const reconfShrink: Scenario = {
  name: "vr-reconf-shrink",
  description:
    "four replicas, one client: the operator shrinks the group to server-1, server-2, server-3; random walks from the logged reconfiguration (server-4 removed, retiring once two of the three said EpochStarted) keep committed entries equal and results linearizable",
  world: world(4, 0, [[0, 1, 2]]),
  phases: [
    ...settleEpochZero(4, 4),
    reach({
      name: "logged",
      goal: reconfigurationLogged(0),
      prunes: [viewNumAbove(0)],
      events: { ...noFaults, invokes: false },
      depthMax: 6,
    }),
    safety(1),
  ],
};

export const reconfViewChange: Scenario = {
  name: "vr-epoch-view-change",
  description:
    "three replicas and one spare: the primary logs the reconfiguration to four and is then cut off from the other replicas; the backups change views in epoch 0, the new primary finds the reconfiguration in the log it takes, takes no request in epoch 0 and commits it; server-4 runs epoch 1; random walks with the primary cut off keep committed entries equal and results linearizable",
  world: world(3, 1, [[0, 1, 2, 3]]),
  phases: [
    ...settleEpochZero(3, 4),
    reach({
      name: "logged",
      goal: and(reconfigurationLogged(0), reconfigurationLogged(1)),
      prunes: [viewNumAbove(0)],
      events: { ...noFaults, invokes: false },
      depthMax: 8,
    }),
    reach({
      name: "server-2 primary, probe answered",
      goal: probeAnswered(1, 3),
      prunes: [viewNumAbove(2)],
      events: { ...noFaults, invokes: false, cut: isolate("server-1", 4) },
      depthMax: 24,
    }),
    reach({
      name: "epoch 1 without server-1",
      goal: runsEpoch(3, 1),
      prunes: [viewNumAbove(2)],
      events: { ...noFaults, invokes: false, cut: isolate("server-1", 4) },
      depthMax: 16,
    }),
    explore({
      name: "safety",
      startFrom: "logged",
      prunes: [epochAbove(1), viewNumAbove(4)],
      events: { ...noFaults, cut: isolate("server-1", 4) },
      depthMax: 30,
      ...safetyBounds,
    }),
  ],
};

export const reconfRemovedServe: Scenario = {
  name: "vr-epoch-removed-serve",
  description:
    "three replicas and two spares: the operator replaces server-1 and server-2 by server-4 and server-5, and server-3, the one that stays, is cut off once the reconfiguration is committed; the new members can only fetch the state from the removed replicas, which serve until two members said EpochStarted: every way on, epoch 1 runs",
  world: world(3, 2, [[2, 3, 4]]),
  phases: [
    ...settleEpochZero(3, 5),
    reach({
      name: "probes answered",
      goal: and(probeAnswered(0, 3), probeAnswered(0, 4)),
      prunes: [viewNumAbove(0)],
      events: { ...noFaults, invokes: false },
      depthMax: 10,
    }),
    reach({
      name: "committed",
      goal: and(runsEpoch(2, 1), leftOut(0, 1), leftOut(1, 1)),
      prunes: [viewNumAbove(1)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 14,
    }),
    {
      ...recover("new members run epoch 1", [viewNumAbove(1)], and(runsEpoch(3, 1), runsEpoch(4, 1))),
      events: { ...noFaults, invokes: false, fairTimers: true, cut: isolate("server-3", 5) },
    },
  ],
};

export const reconfPartitionedOld: Scenario = {
  name: "vr-epoch-partitioned-old",
  description:
    "three replicas and one spare: server-3 is cut off while the group grows to four (epoch 1 runs without it) and then drops server-3 (random walks with it cut off); healed, it hears later epochs' messages and asks for them (GetEpoch): random walks through both keep committed entries equal and results linearizable, server-3 taking no part in an epoch it does not hold",
  world: world(3, 1, [
    [0, 1, 2, 3],
    [0, 1, 3],
  ]),
  phases: [
    ...settleEpochZero(3, 4),
    reach({
      name: "server-4 answered the probe",
      goal: probeAnswered(0, 3),
      prunes: [viewNumAbove(0)],
      events: { ...noFaults, invokes: false, cut: isolate("server-3", 4) },
      depthMax: 10,
    }),
    reach({
      name: "epoch 1 without server-3",
      goal: and(runsEpoch(0, 1), runsEpoch(1, 1), runsEpoch(3, 1)),
      prunes: [viewNumAbove(2)],
      events: { ...noFaults, invokes: false, fairTimers: true, cut: isolate("server-3", 4) },
      depthMax: 24,
    }),
    explore({
      name: "epoch 2 with server-3 cut off",
      prunes: [epochAbove(2), viewNumAbove(6)],
      events: { ...noFaults, cut: isolate("server-3", 4) },
      depthMax: 30,
      ...safetyBounds,
    }),
    explore({
      name: "server-3 back",
      prunes: [epochAbove(2), viewNumAbove(6)],
      events: noFaults,
      depthMax: 30,
      ...safetyBounds,
    }),
  ],
};

export const reconfPrimaryCrash: Scenario = {
  name: "vr-epoch-primary-crash",
  description:
    "three replicas and one spare: the operator replaces server-1 by server-4; epoch 1's first primary, server-3, runs it and crashes before server-1 (removed, serving) heard any EpochStarted; server-4 fetches the state, server-2 and server-4 change to view 2 within epoch 1 without it, and server-1 serves until they both said EpochStarted, then retires; random walks with server-3 crashing at any moment keep committed entries equal and results linearizable",
  world: world(3, 1, [[1, 2, 3]]),
  phases: [
    ...settleEpochZero(3, 4),
    firstOp,
    ...newMemberRuns.slice(0, 2),
    reach({
      name: "server-3 primary of epoch 1",
      goal: and(runsEpoch(2, 1), removedUnheard(0, 1)),
      prunes: [viewNumAbove(1)],
      events: { ...noFaults, invokes: false },
      depthMax: 10,
    }),
    reach({
      name: "server-3 down",
      goal: and(replicaDown(2), removedUnheard(0, 1)),
      prunes: [viewNumAbove(1)],
      events: { ...noFaults, invokes: false, crashable: ["server-3"], crashesMax: 1 },
      depthMax: 2,
    }),
    reach({
      name: "server-4 fetched",
      goal: runsEpoch(3, 1),
      prunes: [viewNumAbove(1)],
      events: { ...noFaults, invokes: false },
      depthMax: 12,
    }),
    reach({
      // The operator's and server-1's resends wait meanwhile: they only multiply the states.
      name: "view 2 without server-3",
      goal: and(normalIn(1, 2), normalIn(3, 2)),
      prunes: [viewNumAbove(2)],
      events: {
        ...noFaults,
        invokes: false,
        fairTimers: true,
        cut: [
          ...isolate("server-1", 4),
          ...allServers(4).map((server) => ["operator", server] as [string, string]),
        ],
      },
      depthMax: 20,
    }),
    reach({
      name: "server-1 retired",
      goal: statusIn(0, "retired", 1),
      prunes: [viewNumAbove(2)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 10,
    }),
    explore({
      name: "safety",
      startFrom: "settle",
      prunes: [epochAbove(1), viewNumAbove(6)],
      events: { ...noFaults, crashable: ["server-3"], crashesMax: 1 },
      depthMax: 30,
      ...safetyBounds,
    }),
  ],
};

export const reconfigurationScenarios: readonly Scenario[] = [
  reconfGrow,
  reconfReplace,
  reconfShrink,
  reconfViewChange,
  reconfRemovedServe,
  reconfPartitionedOld,
  reconfPrimaryCrash,
];
