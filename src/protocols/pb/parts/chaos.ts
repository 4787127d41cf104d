import type { ChaosSupport } from "../../chaosSupport.js";

export const pbChaos: ChaosSupport = {};
