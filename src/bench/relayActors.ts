import type { ActorDefinition } from "../actors/context.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed } from "../protocols/registry.js";
import type { Address } from "../schemas/address.js";

// The benchmark's ceiling is the protocol's (`protocol.bench.relay`, pb's in
// relayActors.ts in pb's folder): relay actors that carry an operation
// along the protocol's message pattern with none of its logic. This is the
// entry `npm run node -- --actors relay` starts them through.

/** The relay actor at `address` in a relay cluster of `protocol`; null when there is none there. */
export function relayDefinitionFor(
  address: Address,
  protocol: AnyProtocol = protocolNamed(defaultProtocolName),
): ActorDefinition<unknown> | null {
  const relay = protocol.bench.relay;
  if (relay === null) throw new Error(`${protocol.name} has no relay actors (no benchmark ceiling)`);
  return relay.actorAt(address);
}
