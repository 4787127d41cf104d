import type { PlantedBugCatch } from "../../searchSupport.js";

export const plantedBugCatches: readonly PlantedBugCatch[] = [];
