import type { Address } from "../../../schemas/address.js";
import type { SearchSupport } from "../../searchSupport.js";
import type { VrClientState } from "../client.js";
import type { VrConfig } from "../config.js";
import { replicaAddress } from "../members.js";
import type { OperatorState } from "../operator.js";
import { isPrimary, type ReplicaState, viewPrimary } from "../state.js";
import {
  assertKnownPartShapes,
  assertKnownShape,
  cloneOperatorState,
  cloneReplicaState,
  cloneVrClientState,
} from "../search/clone.js";
import { hashOperatorState, hashReplicaState, hashVrClientState, hashVrTimer } from "../search/hash.js";
import { plantedBugCatches } from "../search/mutants.js";
import { resolveStandIn } from "../search/predicates.js";
import { scenarios } from "../search/scenarios.js";

/**
 * Synchronous timing: a normal backup's tick (which counts the primary's
 * silence towards a view change) fires only when its primary cannot be
 * heard: down, or not normal in the backup's view. A backup that is fetching
 * ticks anyway (its tick resends the request). Primaries, replicas changing
 * views or recovering, and clients tick at will.
 */
function replicaTickIsFair(replica: ReplicaState, stateOf: (address: Address) => unknown): boolean {
  if (replica.status !== "normal" || isPrimary(replica) || replica.fetch !== null) return true;
  const primary = stateOf(replicaAddress(viewPrimary(replica))) as ReplicaState | null;
  return (
    primary === null ||
    primary.status !== "normal" ||
    primary.epoch !== replica.epoch ||
    primary.viewNum !== replica.viewNum
  );
}

export const vrSearch: SearchSupport<VrConfig> = {
  scenarios,
  plantedBugs: plantedBugCatches,
  stepRules: [],
  clone: (role, state) =>
    role === "replica"
      ? cloneReplicaState(state as ReplicaState)
      : role === "operator"
        ? cloneOperatorState(state as OperatorState)
        : cloneVrClientState(state as VrClientState),
  hash(h, role, state) {
    if (role === "replica") hashReplicaState(h, state as ReplicaState);
    else if (role === "operator") hashOperatorState(h, state as OperatorState);
    else hashVrClientState(h, state as VrClientState);
  },
  hashTimer: hashVrTimer,
  checkShape(role, state) {
    assertKnownPartShapes();
    const shape =
      role === "replica" ? "ReplicaState" : role === "operator" ? "OperatorState" : "VrClientState";
    assertKnownShape(shape, state as object);
  },
  invoked: (client) => (client as VrClientState).seq,
  // The operator's tick starts its next reconfiguration; with synchronous timing nothing it sent is
  // lost, and it asks again as soon as it hears the group moved, so its resends wait for loss.
  timerIsFair: (_address, role, state, stateOf) =>
    role === "replica"
      ? replicaTickIsFair(state as ReplicaState, stateOf)
      : role !== "operator" || (state as OperatorState).current === null,
  standIn: resolveStandIn,
};
