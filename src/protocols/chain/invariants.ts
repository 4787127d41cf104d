import { digestOfApp } from "../../kv/digest.js";
import type { ClusterInvariant, StateAgreement } from "../protocol.js";
import type { ChainServerState } from "./state.js";
import { chainOf } from "./view.js";

// Chain replication's cluster-wide rules (docs/CHAIN.md):
// - appliedAgree: two servers of the same view that applied the same number
//   of positions hold the same application (store and session table): every
//   position comes from the one head of the chain, in order. A deposed head
//   that logged positions nobody took is in an older view, never compared.
// - chainPrefix (the paper's Update Propagation Invariant): in a view, a
//   server has applied at least as much as its successor.

function pointOf(state: ChainServerState): string | null {
  return state.app === null ? null : `view ${state.view.viewNum} applied ${state.app.applied}`;
}

export const chainAgreement: StateAgreement = {
  name: "appliedAgree",
  pointOf: (role, state) => (role === "server" ? pointOf(state as ChainServerState) : null),
  digestOf: (_role, state) => digestOfApp((state as ChainServerState).app!),
};

export const chainClusterInvariants: readonly ClusterInvariant[] = [
  {
    name: "appliedAgree",
    roles: ["server"],
    check(nodes) {
      const seen = new Map<string, { address: string; digest: string }>();
      for (const [address, node] of nodes) {
        if (node.role !== "server") continue;
        const state = node.state as ChainServerState;
        const point = pointOf(state);
        if (point === null) continue;
        const digest = digestOfApp(state.app!);
        const other = seen.get(point);
        if (other === undefined) seen.set(point, { address, digest });
        else if (other.digest !== digest)
          return `${other.address} and ${address} in ${point} hold different states (${other.digest} vs ${digest})`;
      }
      return null;
    },
  },
  {
    name: "chainPrefix",
    roles: ["server"],
    check(nodes) {
      for (const [address, node] of nodes) {
        if (node.role !== "server") continue;
        const state = node.state as ChainServerState;
        if (state.app === null || state.place === "spare" || state.place === "joining") continue;
        const chain = chainOf(state.view);
        const successor = chain[chain.indexOf(address) + 1];
        const next = successor === undefined ? undefined : nodes.get(successor);
        if (next === undefined) continue;
        const after = next.state as ChainServerState;
        if (after.app === null || after.view.viewNum !== state.view.viewNum || after.place === "spare")
          continue;
        if (after.app.applied > state.app.applied)
          return `${successor} applied ${after.app.applied} positions, more than its predecessor ${address} (${state.app.applied}) in view ${state.view.viewNum}`;
      }
      return null;
    },
  },
];
