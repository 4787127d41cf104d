import type { Mutation } from "../actors/config.js";
import type { InvariantName } from "./invariants.js";

// Which search catches each planted bug (ProtocolConfig.mutations), breaking
// which invariant: one table for the mutant tests (test/search/mutants.test.ts)
// and the minimization figures (scripts/bench-minimize.ts).

export interface PlantedBugCatch {
  mutant: Mutation;
  scenario: string;
  invariant: InvariantName;
  /** What the bug looks like, for the test name. */
  shows: string;
}

export const plantedBugCatches: readonly PlantedBugCatch[] = [
  {
    mutant: "backupAcceptsAnyView",
    scenario: "view-changes",
    invariant: "backupConsistent",
    shows: "a backup applies a stale forward from an older view and gets ahead of its primary",
  },
  {
    mutant: "replyBeforeBackupAck",
    scenario: "view-changes",
    invariant: "linearizable",
    shows: "an answered put is missing after the backup takes over",
  },
  {
    mutant: "transferWithoutAtMostOnce",
    scenario: "failover-at-most-once",
    invariant: "linearizable",
    shows: "an append retried across two failovers applies twice",
  },
  {
    mutant: "promoteIdleServer",
    scenario: "view-changes",
    invariant: "actor",
    shows: "the view server makes an idle server primary",
  },
  {
    mutant: "serveDuringTransfer",
    scenario: "view-changes",
    invariant: "backupConsistent",
    shows: "the backup installs a transfer older than what the primary served",
  },
  {
    mutant: "ignorePrimaryRestart",
    scenario: "primary-restart",
    invariant: "liveness",
    shows: "a restarted primary is kept and the client never finishes",
  },
];
