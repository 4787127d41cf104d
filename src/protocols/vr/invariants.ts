import { digestOfApp } from "../../kv/digest.js";
import type { ClusterInvariant, StateAgreement } from "../protocol.js";
import type { ReplicaState } from "./state.js";

// VR's cluster-wide rule (docs/VR.md): committed entries are the same at
// every replica, so two replicas that executed the same number of entries
// hold the same application (store and session table), whatever their views
// and however each got there (Prepares, StartView, a fetched checkpoint).
// One primary per view is every protocol's rule, checked from `served`.

function pointOf(state: ReplicaState): string | null {
  return state.status === "recovering" && state.fetch === null && state.commitNumber === 0
    ? null
    : `executed ${state.app.applied}`;
}

export const vrAgreement: StateAgreement = {
  name: "committedAgree",
  pointOf: (role, state) => (role === "replica" ? pointOf(state as ReplicaState) : null),
  digestOf: (_role, state) => digestOfApp((state as ReplicaState).app),
};

export const vrClusterInvariants: readonly ClusterInvariant[] = [
  {
    name: "committedAgree",
    roles: ["replica"],
    check(nodes) {
      const seen = new Map<number, { address: string; digest: string }>();
      for (const [address, node] of nodes) {
        if (node.role !== "replica") continue;
        const state = node.state as ReplicaState;
        if (pointOf(state) === null) continue;
        const digest = digestOfApp(state.app);
        const other = seen.get(state.app.applied);
        if (other === undefined) seen.set(state.app.applied, { address, digest });
        else if (other.digest !== digest)
          return `${other.address} and ${address} executed ${state.app.applied} entries into different states (${other.digest} vs ${digest})`;
      }
      return null;
    },
  },
];
