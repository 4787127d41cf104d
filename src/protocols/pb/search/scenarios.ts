import {
  and,
  clientBusy,
  clientInSession,
  clientPrimaryStale,
  clientCompleted,
  backupBufferedForwards,
  clientWaiting,
  executedNotAnswered,
  failedOverToStartBackup,
  startBackupPromoted,
  startPrimaryDown,
  startBackupRestartedUnnoticed,
  startPrimaryRestarted,
  viewNumAbove,
  viewNumRoseAbove,
} from "./predicates.js";
import { directedScenarios } from "./directedScenarios.js";
import {
  append,
  crashes,
  explore,
  get,
  liveness,
  put,
  reach,
  recover,
  recoverOutstanding,
  settle,
} from "./phases.js";
import { noFaults, type Scenario } from "../../../search/scenario.js";

// The search tests, after DSLabs lab 2's PrimaryBackupTest search tests:
// each has a liveness part (a goal state is reachable; and, in every scenario
// with faults, a recover phase: once they stop, the clients finish) and a
// safety part (no invariant breaks within its bounds). Bounds are sized so
// that all of them together take about a minute on two shared cores; `npm run
// search -- --seconds S` gives the explore phases more time.

// single-server has no faults to recover from (one server, no view change
// can replace it), so its reach phase from the initial state is its whole
// liveness claim.
export const singleServer: Scenario = {
  name: "single-server",
  description: "one server, one client: put then get (DSLabs: single client, single server)",
  world: {
    servers: 1,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
  },
  phases: [
    liveness([], 30),
    explore({
      // With one server the whole state space is small: the BFS exhausts it.
      name: "safety",
      startFrom: "initial",
      prunes: [],
      events: noFaults,
      depthMax: 100,
      statesMax: 200_000,
      secondsMax: 10,
      probes: { depthMax: 200, secondsMax: 1 },
    }),
  ],
};

export const viewChanges: Scenario = {
  name: "view-changes",
  description:
    "three servers, one client doing put, append, get while the view server changes views at will; once the view server stops declaring live servers dead, a client left on a replaced primary finishes (DSLabs: single client, multiple servers)",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), append("a", "y"), get("a")] }],
    results: "expected",
  },
  phases: [
    settle(),
    liveness([viewNumAbove(2)]),
    reach({
      // The faults here are lost pings: the view server declares live
      // servers dead at will. Two view changes, one of them replacing the
      // primary the client knew, while the put is outstanding.
      name: "churn",
      startFrom: "settle",
      goal: and(viewNumRoseAbove(1), clientPrimaryStale("client-1")),
      prunes: [viewNumRoseAbove(2)],
      events: noFaults,
      depthMax: 30,
    }),
    recoverOutstanding(),
    explore({
      name: "safety",
      startFrom: "initial",
      prunes: [viewNumAbove(5)],
      events: noFaults,
      depthMax: 60,
      statesMax: 150_000,
      secondsMax: 8,
      probes: { depthMax: 300, secondsMax: 4 },
    }),
  ],
};

export const reorderedForwards: Scenario = {
  name: "reordered-forwards",
  description:
    "two servers, two clients appending to one key, forwards sent one operation each so that they reach the backup in either order; the history must be linearizable",
  world: {
    servers: 2,
    clients: [
      { client: "client-1", ops: [append("a", "1"), get("a")] },
      { client: "client-2", ops: [append("a", "2"), get("a")] },
    ],
    results: "history",
    config: { forwardBatchMax: 1, forwardWindow: 2 },
  },
  phases: [
    settle(),
    reach({
      name: "reorder",
      goal: backupBufferedForwards,
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 30,
    }),
    // From forwards buffered out of order at the backup, both appends and gets finish.
    recover(),
    explore({
      name: "safety",
      startFrom: "settle",
      prunes: [viewNumRoseAbove(2)],
      events: noFaults,
      depthMax: 60,
      statesMax: 150_000,
      secondsMax: 8,
      probes: { depthMax: 200, secondsMax: 3 },
    }),
  ],
};

export const failoverAtMostOnce: Scenario = {
  name: "failover-at-most-once",
  description:
    "three servers, one client's append executed by primary and backup but not yet answered, then two failovers with crashes: the retried append must not apply twice (state transfer carries the at-most-once table), and after each failover the client finishes",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [append("a", "x"), get("a")] }],
    results: "expected",
  },
  phases: [
    settle(),
    reach({
      name: "executed",
      goal: executedNotAnswered("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 30,
    }),
    reach({
      name: "first failover",
      goal: and(failedOverToStartBackup, clientWaiting("client-1", 1)),
      prunes: [viewNumRoseAbove(2)],
      events: crashes(3, 1, 0),
      depthMax: 40,
      statesMax: 1_000_000,
      secondsMax: 40,
    }),
    // After the first failover (the client retrying its executed append), it finishes, once.
    recover("recover 1"),
    reach({
      // The faults are bounded to what the protocol promises to survive: the
      // second crash hits a settled full view (the first failover's goal)
      // whose backup holds the state, so a server is left to serve. The
      // explore phase below may also lose a new backup before it is installed
      // and then its primary: the service then stops by design (the view
      // server waits for an acknowledgement only the lost primary could send,
      // the one way it stops by design, DESIGN §4.1), so no liveness phase follows it.
      name: "second failover",
      startFrom: "first failover",
      goal: and(startPrimaryDown, startBackupPromoted, clientBusy("client-1")),
      prunes: [viewNumRoseAbove(2)],
      events: crashes(3, 2, 0),
      depthMax: 30,
    }),
    recover("recover 2"),
    explore({
      name: "two crashes",
      startFrom: "first failover",
      prunes: [viewNumRoseAbove(3)],
      events: crashes(3, 2, 0),
      depthMax: 60,
      statesMax: 150_000,
      secondsMax: 8,
      probes: { depthMax: 120, secondsMax: 4 },
    }),
  ],
};

export const primaryRestart: Scenario = {
  name: "primary-restart",
  description:
    "two servers, one client; the primary of a settled view crashes and restarts under its name (Ping(0) with a new incarnation); afterwards, with no more faults and timely pings, the client must still finish",
  world: {
    servers: 2,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
    // Messages sent to the previous life stay in the network (durable queues).
    restartPurgesMessages: false,
  },
  phases: [
    settle(),
    reach({
      name: "restart",
      goal: startPrimaryRestarted,
      prunes: [],
      events: { ...crashes(2, 1, 1), invokes: false, fairTimers: true },
      depthMax: 10,
    }),
    // The explore phase below may crash both servers: nothing could recover
    // from that, so liveness is checked here, after the one restart.
    recover(),
    explore({
      name: "safety",
      startFrom: "settle",
      prunes: [viewNumRoseAbove(4)],
      events: crashes(2, 2, 2),
      depthMax: 60,
      statesMax: 100_000,
      secondsMax: 6,
      probes: { depthMax: 150, secondsMax: 3 },
    }),
  ],
};

export const restartedBackup: Scenario = {
  name: "restarted-backup",
  description:
    "three servers, one client; after a put is answered the backup crashes and restarts under its name before the view server hears from its new life, and messages sent to its previous life (durable queues) reach the new one; the client's get must still see the put, and finish. Every invariant is checked",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
    invariantsOff: [],
  },
  phases: [
    settle(),
    reach({
      name: "put answered",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 30,
    }),
    reach({
      name: "backup restart",
      goal: startBackupRestartedUnnoticed,
      prunes: [viewNumRoseAbove(0)],
      events: { ...crashes(3, 1, 1), invokes: false },
      depthMax: 10,
    }),
    // The restarted backup's new life is noticed, replaced or reinstalled, and the get finishes.
    recover(),
    explore({
      name: "safety",
      startFrom: "backup restart",
      prunes: [viewNumRoseAbove(2)],
      events: noFaults,
      depthMax: 40,
      statesMax: 300_000,
      secondsMax: 10,
      probes: { depthMax: 100, secondsMax: 3 },
    }),
  ],
};

export const randomDeep: Scenario = {
  name: "random-deep",
  description:
    "three servers, two clients sharing a key, crashes and restarts: random walks hundreds of events deep, every history checked for linearizability; after a primary restarts under its name while both clients wait, their operations finish",
  world: {
    servers: 3,
    clients: [
      { client: "client-1", ops: [append("a", "1"), get("a"), append("a", "3"), get("a")] },
      { client: "client-2", ops: [append("a", "2"), get("a"), put("a", "4"), get("a")] },
    ],
    results: "history",
    // Messages sent to the previous life stay in the network (durable queues).
    restartPurgesMessages: false,
  },
  phases: [
    settle(),
    reach({
      // Both clients' sessions open, their first operations sent (no faults yet).
      name: "sessions open",
      goal: and(clientInSession("client-1"), clientInSession("client-2")),
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 30,
    }),
    reach({
      // One crash and its restart, while both clients wait: the primary
      // restarts under its name and the view server hears its new life. The
      // deep phase below may lose the primary and a new backup before it is
      // installed; the service then stops by design (its primary lost before
      // it acknowledged, DESIGN §4.1), so liveness is checked here, with the faults bounded to
      // one server lost at a time.
      name: "restart under load",
      goal: and(startPrimaryRestarted, clientBusy("client-1"), clientBusy("client-2")),
      prunes: [viewNumRoseAbove(1)],
      events: crashes(3, 1, 1),
      depthMax: 30,
    }),
    // Two sessions opened, then a failover: the widest recovery of the scenarios.
    recoverOutstanding([viewNumRoseAbove(1)], 2_000_000),
    explore({
      name: "deep",
      startFrom: "initial",
      prunes: [viewNumAbove(10)],
      events: crashes(3, 3, 3),
      depthMax: 20,
      statesMax: 20_000,
      secondsMax: 4,
      probes: { depthMax: 500, secondsMax: 5 },
    }),
  ],
};

export const scenarios: readonly Scenario[] = [
  singleServer,
  viewChanges,
  reorderedForwards,
  failoverAtMostOnce,
  primaryRestart,
  restartedBackup,
  randomDeep,
  ...directedScenarios,
];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((scenario) => scenario.name === name);
}
