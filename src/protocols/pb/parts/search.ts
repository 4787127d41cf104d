import type { Address } from "../../../schemas/address.js";
import type { SearchSupport } from "../../searchSupport.js";
import type { ClientState } from "../client.js";
import type { ProtocolConfig } from "../config.js";
import type { ServerState } from "../server.js";
import type { ViewServerState } from "../viewServer.js";
import {
  assertKnownAppShapes,
  assertKnownShape,
  cloneClientState,
  cloneServerState,
  cloneViewServerState,
} from "../search/clone.js";
import { hashClientState, hashServerState, hashTimer, hashViewServerState } from "../search/hash.js";
import { plantedBugCatches } from "../search/mutants.js";
import { resolveStandIn } from "../search/predicates.js";
import { scenarios } from "../search/scenarios.js";
import { pairedAcks, viewRules } from "../search/stepRules.js";

/** The view server's check may fire once every live server it knows pinged since the previous one. */
function everyLiveServerPinged(viewServer: ViewServerState, stateOf: (address: Address) => unknown): boolean {
  for (const [address, record] of viewServer.servers)
    if (stateOf(address) !== null && !record.pingedSinceCheck) return false;
  return true;
}

export const pbSearch: SearchSupport<ProtocolConfig> = {
  scenarios,
  plantedBugs: plantedBugCatches,
  stepRules: [viewRules, pairedAcks],
  clone(role, state) {
    if (role === "server") return cloneServerState(state as ServerState);
    if (role === "viewserver") return cloneViewServerState(state as ViewServerState);
    return cloneClientState(state as ClientState);
  },
  hash(h, role, state) {
    if (role === "server") hashServerState(h, state as ServerState);
    else if (role === "viewserver") hashViewServerState(h, state as ViewServerState);
    else hashClientState(h, state as ClientState);
  },
  hashTimer,
  checkShape(role, state) {
    assertKnownAppShapes();
    const type =
      role === "server" ? "ServerState" : role === "viewserver" ? "ViewServerState" : "ClientState";
    assertKnownShape(type, state as object);
  },
  invoked: (client) => (client as ClientState).seq,
  timerIsFair: (_address, role, state, stateOf) =>
    role !== "viewserver" || everyLiveServerPinged(state as ViewServerState, stateOf),
  standIn: resolveStandIn,
};
