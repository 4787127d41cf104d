import type { SimSupport } from "../../simSupport.js";
import type { ProtocolConfig } from "../config.js";

// Filled in when the simulator reaches pb through the interface (src/sim/stuck.ts moves here).
export const pbSim: SimSupport<ProtocolConfig> = {
  observer: () => ({
    afterEvent() {},
    onEmit() {},
    onCrash() {},
    stuckByDesign: () => null,
  }),
};
