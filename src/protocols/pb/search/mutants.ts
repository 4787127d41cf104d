import type { PlantedBugCatch } from "../../searchSupport.js";

// Which search catches each planted bug (ProtocolConfig.mutations), breaking
// which invariant: one table for the mutant tests (test/search/mutants.test.ts)
// and the minimization figures (scripts/bench-minimize.ts).

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
  {
    mutant: "fastReads",
    scenario: "stale-read",
    invariant: "linearizable",
    shows: "a primary cut off and replaced answers a read from its own store with the old value",
  },
  {
    mutant: "ignoreAckRule",
    scenario: "ack-rule",
    invariant: "viewRules",
    shows: "the view server promotes a backup before the primary acknowledged the view it may not hold",
  },
  {
    mutant: "nonPrimaryServes",
    scenario: "demoted-primary",
    invariant: "backupConsistent",
    shows: "an old primary, now backup, executes a client request and gets ahead of its primary",
  },
  {
    mutant: "transferOverwritesForwards",
    scenario: "late-transfer",
    invariant: "backupConsistent",
    shows: "a duplicated state transfer rolls the backup back past forwards it applied",
  },
  {
    mutant: "acksWithoutIncarnation",
    scenario: "restarted-backup",
    invariant: "pairedAcks",
    shows: "a primary counts a forward ack from a restarted backup process it never transferred to",
  },
  {
    mutant: "waitForLostBackup",
    scenario: "new-backup-lost",
    invariant: "liveness",
    shows: "a new backup lost before its transfer leaves the view server waiting forever",
  },
  {
    mutant: "applyForwardsOnArrival",
    scenario: "reordered-forwards",
    invariant: "backupConsistent",
    shows: "a backup applies forwards in the order they arrive, not the primary's",
  },
  {
    mutant: "bumpWithoutChange",
    scenario: "single-server",
    invariant: "viewRules",
    shows: "the view server announces a new view number with the same primary and backup",
  },
];
