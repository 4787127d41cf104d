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
  {
    mutant: "reconfNewMemberServesUnfetched",
    scenario: "vr-reconf-grow",
    invariant: "committedAgree",
    shows: "server-4 runs epoch 1 without fetching the state: it executes the next entry into an empty store",
  },
  {
    mutant: "oldPrimaryTakesRequestsAfterReconf",
    scenario: "vr-reconf-replace",
    invariant: "onePrimaryPerView",
    shows:
      "the old primary logs a put after the reconfiguration (Prepares pipelined), commits it with the old group and answers it in view 1 while epoch 1's primary, whose log holds it too, serves view 1",
  },
  {
    mutant: "reconfRemovedStopsEarly",
    scenario: "vr-epoch-removed-serve",
    invariant: "liveness",
    shows:
      "server-1 and server-2 stop as soon as they are removed; with server-3 cut off, server-4 and server-5 never get the state and epoch 1 never runs",
    simulatorOnly: {
      test: "test/sim/vrReconfig.test.ts",
      why: "the search finds epoch 1 running on the correct protocol, but cannot exhaust the stuck runs' states within its bounds to call them stuck; the simulator's chaos sees the clients never finish",
    },
  },
  {
    mutant: "reconfCountsUnprobed",
    scenario: "vr-reconf-grow",
    invariant: "liveness",
    shows:
      "the reconfiguration commits counting new members that are down or recovering: with another member of the next group down, that group never has a quorum and clients never finish",
    simulatorOnly: {
      test: "test/sim/vrReconfig.test.ts",
      why: "it takes a crash before the reconfiguration and another member down across it; the simulator's chaos seeds 866 and 606 have both, and their clients never finish",
    },
  },
];
