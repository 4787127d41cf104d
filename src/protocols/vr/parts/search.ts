import type { SearchSupport } from "../../searchSupport.js";
import type { VrClientState } from "../client.js";
import type { VrConfig } from "../config.js";

// TEMPORARY (issue 16 in progress): the model checker's part of VR is being written.
export const vrSearch: SearchSupport<VrConfig> = {
  scenarios: [],
  plantedBugs: [],
  stepRules: [],
  clone: (_role, state) => structuredClone(state),
  hash(h, _role, state) {
    h.str(JSON.stringify(state, (_key, value: unknown) => (value instanceof Map ? [...value] : value)));
  },
  hashTimer: (h, timer) => h.str(JSON.stringify(timer)),
  checkShape: () => {},
  invoked: (client) => (client as VrClientState).seq,
  timerIsFair: () => true,
  standIn: () => null,
};
