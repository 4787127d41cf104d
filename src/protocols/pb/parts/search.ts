import type { SearchSupport } from "../../searchSupport.js";
import type { ProtocolConfig } from "../config.js";

export const pbSearch: SearchSupport<ProtocolConfig> = {};
