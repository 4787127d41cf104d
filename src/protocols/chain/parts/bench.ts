import type { BenchSupport } from "../../benchSupport.js";
import type { ChainConfig } from "../config.js";

// Chain replication in the bench. No ceiling row yet (relay actors along the
// chain's pattern are still to be written). A linked chain serves as its
// master states it (the view event of the master); one server alone, a chain
// of one, is the unreplicated row.
export const chainBench: BenchSupport = {
  relay: null,
  unreplicated: (config) => ({ ...(config as ChainConfig), chainLength: 1 }) as ChainConfig,
};
