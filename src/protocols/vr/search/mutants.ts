import type { PlantedBugCatch } from "../../searchSupport.js";

// Which search catches each of VR's planted bugs (VrConfig.mutations,
// plantedBugs.ts), breaking which invariant: the table the mutant tests
// (test/search/vrMutants.test.ts) and docs/RULES.md read.

export const plantedBugCatches: readonly PlantedBugCatch[] = [];
