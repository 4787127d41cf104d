import { viewServerAddress } from "../../../schemas/address.js";
import { append, explore, get, put, recover, reach, settle } from "./phases.js";
import {
  and,
  clientCompleted,
  clientPrimaryIsBackup,
  fullViewSettled,
  newBackupPending,
  not,
  readyPrimaryIn,
  stalePrimaryServing,
  startBackupDown,
  startPrimaryReplaced,
  viewNumRoseAbove,
  startBackupRef,
  startPrimaryRef,
} from "./predicates.js";
import { noFaults, type Scenario } from "../../../search/scenario.js";

// Directed search tests (DSLabs' search tests with phases that reach a state
// on purpose): each drives the cluster into one failure case of the lectures
// (docs/DESIGN.md §1, and the table in docs/RULES.md), then explores from
// there with the checks on, then proves the clients still finish. Each is
// small enough to take seconds, and each has a planted bug (src/search/
// mutants.ts) it catches.

/** The old primary's pings stop reaching the view server (and its view replies stop reaching it). */
const primaryCutOff = [[startPrimaryRef, viewServerAddress]] as const;
/** Every directed explore phase: a small state budget, then short random probes beyond it. */
const directedBounds = { statesMax: 60_000, secondsMax: 4, probes: { depthMax: 80, secondsMax: 1 } } as const;

export const staleRead: Scenario = {
  name: "stale-read",
  description:
    "three servers; client-1 learns the view and writes through the primary; the primary is cut off from the view server and replaced, client-2 writes a new value through the new primary; then client-1, still on the old view, reads from the old primary: it must not answer from its own store (fast reads), and every client finishes",
  world: {
    servers: 3,
    clients: [
      { client: "client-1", ops: [put("a", "1"), get("a")] },
      { client: "client-2", ops: [put("a", "2")] },
    ],
    results: "history",
  },
  phases: [
    settle(),
    reach({
      name: "warm up",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokers: ["client-1"] },
      depthMax: 20,
    }),
    reach({
      name: "primary cut off",
      goal: and(startPrimaryReplaced, readyPrimaryIn(0), stalePrimaryServing),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, cut: primaryCutOff },
      depthMax: 30,
    }),
    reach({
      name: "new value written",
      goal: and(clientCompleted("client-2", 1), stalePrimaryServing),
      prunes: [viewNumRoseAbove(0), not(stalePrimaryServing)],
      events: { ...noFaults, invokers: ["client-2"] },
      depthMax: 20,
    }),
    explore({
      name: "read on the old view",
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokers: ["client-1"] },
      depthMax: 30,
      ...directedBounds,
    }),
    { ...recover(), startFrom: "new value written" },
  ],
};

export const demotedPrimary: Scenario = {
  name: "demoted-primary",
  description:
    "two servers; the client learns the view and writes through the primary; the primary is cut off from the view server, replaced, and comes back as the installed backup; the client, still on the old view, sends its next write there: a non-primary must refuse it (rule 4), and the client finishes through the new primary",
  world: {
    servers: 2,
    clients: [{ client: "client-1", ops: [put("a", "1"), append("a", "2")] }],
    results: "expected",
  },
  phases: [
    settle(),
    reach({
      name: "warm up",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 20,
    }),
    reach({
      name: "primary cut off",
      goal: startPrimaryReplaced,
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false, cut: primaryCutOff },
      depthMax: 20,
    }),
    reach({
      name: "back as backup",
      goal: and(fullViewSettled, clientPrimaryIsBackup("client-1")),
      prunes: [viewNumRoseAbove(1)],
      events: { ...noFaults, invokes: false },
      depthMax: 30,
    }),
    explore({
      name: "write to the backup",
      prunes: [viewNumRoseAbove(1)],
      events: noFaults,
      depthMax: 30,
      ...directedBounds,
    }),
    { ...recover(), startFrom: "back as backup" },
  ],
};

export const lateTransfer: Scenario = {
  name: "late-transfer",
  description:
    "two servers; after the backup installed its state transfer and applied a forwarded put, the same transfer arrives again (duplicated, delayed): it must not roll the backup back (a transfer is applied at most once per view)",
  world: {
    servers: 2,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
  },
  phases: [
    settle(),
    reach({
      name: "forward applied",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 20,
    }),
    explore({
      name: "old transfer again",
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 30,
      ...directedBounds,
    }),
    { ...recover(), startFrom: "forward applied" },
  ],
};

/** Settle, then lose the backup: the view server picks a new one, which has no state yet. */
function backupLost() {
  return reach({
    name: "backup lost",
    goal: newBackupPending,
    prunes: [viewNumRoseAbove(1)],
    events: { ...noFaults, invokes: false, crashable: [startBackupRef], crashesMax: 1 },
    depthMax: 20,
  });
}

export const newBackupLost: Scenario = {
  name: "new-backup-lost",
  description:
    "three servers; the backup dies, the view server picks the idle server, and that one dies too before the primary's transfer lands: the primary holds every write and is alive, so the view server must replace the lost new backup without the primary's acknowledgement, and every client is answered",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
  },
  phases: [
    settle(),
    // The client's session opened and first operation done before the faults:
    // what is left to recover is the view change and one operation.
    reach({
      name: "session open",
      goal: clientCompleted("client-1", 1),
      prunes: [viewNumRoseAbove(0)],
      events: noFaults,
      depthMax: 20,
    }),
    backupLost(),
    reach({
      name: "new backup lost",
      goal: and(startBackupDown, not(viewNumRoseAbove(0))),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, invokes: false, crashable: [startBackupRef], crashesMax: 2 },
      depthMax: 5,
    }),
    recover(),
  ],
};

export const ackRule: Scenario = {
  name: "ack-rule",
  description:
    "three servers; the backup dies and the view server picks a new one that has no state yet; then the primary's pings stop reaching the view server: the view server must not promote the new backup before the primary acknowledged the view (it may not hold the state), and once the pings flow again every client is answered",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), get("a")] }],
    results: "expected",
  },
  phases: [
    settle(),
    backupLost(),
    explore({
      name: "primary cut off",
      prunes: [viewNumRoseAbove(2)],
      events: { ...noFaults, invokes: false, cut: primaryCutOff },
      depthMax: 20,
      ...directedBounds,
    }),
    { ...recover(), startFrom: "backup lost" },
  ],
};

export const directedScenarios: readonly Scenario[] = [
  staleRead,
  demotedPrimary,
  lateTransfer,
  newBackupLost,
  ackRule,
];
