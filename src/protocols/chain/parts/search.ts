import type { Address } from "../../../schemas/address.js";
import type { SearchSupport } from "../../searchSupport.js";
import type { ChainClientState } from "../client.js";
import type { ChainConfig } from "../config.js";
import type { MasterState } from "../master.js";
import {
  assertKnownPartShapes,
  assertKnownShape,
  cloneChainClientState,
  cloneChainServerState,
  cloneMasterState,
} from "../search/clone.js";
import {
  hashChainClientState,
  hashChainServerState,
  hashChainTimer,
  hashMasterState,
} from "../search/hash.js";
import { plantedBugCatches } from "../search/mutants.js";
import { scenarios } from "../search/scenarios.js";
import type { ChainServerState } from "../state.js";

/** The master's check may fire once every live server it knows pinged since the previous one (pb's rule). */
function everyLiveServerPinged(master: MasterState, stateOf: (address: Address) => unknown): boolean {
  for (const [address, record] of master.servers)
    if (stateOf(address) !== null && !record.pingedSinceCheck) return false;
  return true;
}

function checkShape(role: string, state: unknown): void {
  assertKnownPartShapes();
  if (role === "master") {
    const master = state as MasterState;
    assertKnownShape("MasterState", master);
    for (const record of master.servers.values()) assertKnownShape("ServerRecord", record);
  } else if (role === "server") assertKnownShape("ChainServerState", state as ChainServerState);
  else assertKnownShape("ChainClientState", state as ChainClientState);
}

export const chainSearch: SearchSupport<ChainConfig> = {
  scenarios,
  plantedBugs: plantedBugCatches,
  stepRules: [],
  clone(role, state) {
    if (role === "server") return cloneChainServerState(state as ChainServerState);
    if (role === "master") return cloneMasterState(state as MasterState);
    return cloneChainClientState(state as ChainClientState);
  },
  hash(h, role, state) {
    if (role === "server") hashChainServerState(h, state as ChainServerState);
    else if (role === "master") hashMasterState(h, state as MasterState);
    else hashChainClientState(h, state as ChainClientState);
  },
  hashTimer: hashChainTimer,
  checkShape,
  invoked: (client) => (client as ChainClientState).seq,
  timerIsFair: (_address, role, state, stateOf) =>
    role !== "master" || everyLiveServerPinged(state as MasterState, stateOf),
  // No stand-ins: every scenario settles its chain in address order (server-1 the head), and names servers.
  standIn: () => null,
};
