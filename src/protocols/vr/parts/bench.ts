import type { BenchSupport } from "../../benchSupport.js";

// No relay ceiling for VR yet: the bench measures it without one.
export const vrBench: BenchSupport = { relay: null };
