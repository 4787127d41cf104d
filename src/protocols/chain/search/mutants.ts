import type { PlantedBugCatch } from "../../searchSupport.js";

// Which search catches each of chain replication's planted bugs
// (ChainConfig.mutations, plantedBugs.ts), breaking which invariant: the
// table the mutant tests (test/search/chainMutants.test.ts) and
// docs/RULES.md read.

export const plantedBugCatches: readonly PlantedBugCatch[] = [
  {
    mutant: "tailRepliesBeforeApply",
    scenario: "chain-normal",
    invariant: "onePrimaryPerView",
    shows:
      "the middle server answers the put as it applies it, and the tail answers it again in the same view",
  },
  {
    mutant: "readsAtHead",
    scenario: "chain-join",
    invariant: "onePrimaryPerView",
    shows:
      "client-2, still on the chain of one, reads from the head of the new chain, which answers while the tail also answers in that view",
  },
  {
    mutant: "dropSentOnRelink",
    scenario: "chain-middle-fails",
    invariant: "linearizable",
    shows:
      "the head relinked to the tail forgets the put the middle server died with; it answers the retry from its own table, and the get at the tail misses the put",
  },
  {
    mutant: "joinerServesEarly",
    scenario: "chain-join",
    invariant: "linearizable",
    shows:
      "the single server hands over as soon as server-2 installed its snapshot, before server-2 holds the put it answered since; server-2, linked in as the tail, answers a read without it",
  },
  {
    mutant: "applyOnArrival",
    scenario: "chain-reordered-forwards",
    invariant: "appliedAgree",
    shows:
      "the tail applies the second position's Forward first (or twice): its state at position 2 is not the head's",
  },
  {
    mutant: "readsWithoutCheck",
    scenario: "chain-stale-tail",
    invariant: "linearizable",
    shows:
      "the tail the master dropped, cut off from it, answers client-1's read with the value client-2 overwrote through the new chain",
  },
];
