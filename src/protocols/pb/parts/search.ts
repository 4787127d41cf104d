import type { SearchSupport } from "../../parts/search.js";
import type { ProtocolConfig } from "../config.js";

export const pbSearch: SearchSupport<ProtocolConfig> = {};
