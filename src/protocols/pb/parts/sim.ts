import type { SimSupport } from "../../simSupport.js";
import type { ProtocolConfig } from "../config.js";
import { PbFaultModel } from "../simFaults.js";
import { RoleLogObserver } from "../stuck.js";

export const pbSim: SimSupport<ProtocolConfig> = {
  observer: () => new RoleLogObserver(),
  faults: (cluster) => new PbFaultModel(cluster),
  joins: true,
};
