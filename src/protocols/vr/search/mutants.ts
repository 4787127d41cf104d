import type { PlantedBugCatch } from "../../searchSupport.js";

// Which search catches each of VR's planted bugs (VrConfig.mutations,
// plantedBugs.ts), breaking which invariant: the table the mutant tests
// (test/search/vrMutants.test.ts) and docs/RULES.md read.

export const plantedBugCatches: readonly PlantedBugCatch[] = [
  {
    mutant: "commitWithoutQuorum",
    scenario: "vr-primary-crash",
    invariant: "linearizable",
    shows:
      "the primary commits and answers on its own log alone, then fails: view 1 lacks what the client was told happened",
  },
  {
    mutant: "doViewChangePicksLongestLog",
    scenario: "vr-stale-log",
    invariant: "committedAgree",
    shows: "view 2 takes the deposed primary's log (last normal in view 0) over one committed in view 1",
  },
  {
    mutant: "acceptOldViewPrepare",
    scenario: "vr-view-change",
    invariant: "committedAgree",
    shows:
      "a backup of view 1 appends the deposed primary's Prepare and executes it where view 1 committed another entry",
  },
  {
    mutant: "recoveryWithoutNonce",
    scenario: "vr-recovery",
    invariant: "committedAgree",
    shows:
      "a restarted primary counts answers to its first life's Recovery and starts the cluster over, empty",
  },
  {
    mutant: "readsWithoutCommit",
    scenario: "vr-partitioned-primary",
    invariant: "linearizable",
    shows: "an old primary cut off from both backups answers a read with the value they replaced",
  },
  {
    mutant: "truncOnNewerView",
    scenario: "vr-vanlightly",
    invariant: "committedAgree",
    shows:
      "a backup behind truncates its log on view 3's Commit, then its short log wins view 4: an acknowledged put is lost",
  },
];
