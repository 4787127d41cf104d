import type { Address } from "../schemas/address.js";
import type { AnyProtocol, ProtocolConfigBase } from "./protocol.js";

// How drivers speak of the configuration through the interface alone: who
// states it (the nodes that answer `broker.viewQuery`, whose `view` cluster
// events are the configuration changes) and how texts name them.

/** The nodes whose `view` events state the configuration of a cluster of `config` (pb: the view server). */
export function configuringNodes(protocol: AnyProtocol, config: ProtocolConfigBase): readonly Address[] {
  return protocol.broker.viewQuery.to(config);
}

/** `node` states the configuration (one of `configuringNodes`). */
export function isConfiguringNode(protocol: AnyProtocol, config: ProtocolConfigBase, node: Address): boolean {
  return protocol.broker.viewQuery.to(config).includes(node);
}

/** The event routing keys of the configuration changes: `view.<node>` for each configuring node. */
export function configurationEventKeys(protocol: AnyProtocol, config: ProtocolConfigBase): string[] {
  return protocol.broker.viewQuery.to(config).map((node) => `view.${node}`);
}

/** Nodes as texts name them (`chaos.nodeName`): "the view server", "server-1, server-2 and server-3". */
export function nameNodes(protocol: AnyProtocol, nodes: readonly Address[]): string {
  const named = nodes.map((node) => protocol.chaos.nodeName(node));
  return named.length <= 1 ? (named[0] ?? "nobody") : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
}
