import type { Address } from "../schemas/address.js";
import type { AnyProtocol } from "./protocol.js";

// How drivers speak of the configuration through the interface alone: who
// states it (the nodes that answer `broker.viewQuery`, whose `view` cluster
// events are the configuration changes) and how texts name them.

/** The nodes whose `view` events state the cluster's configuration (pb: the view server). */
export function configuringNodes(protocol: AnyProtocol): readonly Address[] {
  return protocol.broker.viewQuery.to;
}

/** `node` states the configuration (one of `configuringNodes`). */
export function isConfiguringNode(protocol: AnyProtocol, node: Address): boolean {
  return protocol.broker.viewQuery.to.includes(node);
}

/** The event routing keys of the configuration changes: `view.<node>` for each configuring node. */
export function configurationEventKeys(protocol: AnyProtocol): string[] {
  return protocol.broker.viewQuery.to.map((node) => `view.${node}`);
}

/** Nodes as texts name them (`chaos.nodeName`): "the view server", "server-1, server-2 and server-3". */
export function nameNodes(protocol: AnyProtocol, nodes: readonly Address[]): string {
  const named = nodes.map((node) => protocol.chaos.nodeName(node));
  return named.length <= 1 ? (named[0] ?? "nobody") : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
}
