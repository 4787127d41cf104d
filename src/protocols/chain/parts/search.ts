import type { SearchSupport } from "../../searchSupport.js";
import type { ChainConfig } from "../config.js";
import type { ChainClientState } from "../client.js";

// TEMPORARY (to be replaced before merge): the model checker's view of chain replication.

export const chainSearch: SearchSupport<ChainConfig> = {
  scenarios: [],
  plantedBugs: [],
  stepRules: [],
  clone: (_role, state) => structuredClone(state),
  hash(h, _role, state) {
    h.str(JSON.stringify(state, (_key, value: unknown) => (value instanceof Map ? [...value] : value)));
  },
  hashTimer: (h, timer) => h.str(JSON.stringify(timer)),
  checkShape: () => {},
  invoked: (client) => (client as ChainClientState).seq,
  timerIsFair: () => true,
  standIn: () => null,
};
