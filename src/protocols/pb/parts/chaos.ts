import type { ChaosSupport } from "../../parts/chaos.js";

export const pbChaos: ChaosSupport = {};
