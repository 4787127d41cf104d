import type { ActorDefinition } from "../actors/context.js";
import type { Address } from "../schemas/address.js";

// What the benchmark (src/bench) asks of a protocol beyond its actors.

/**
 * The benchmark's ceiling for this protocol: relay actors that carry each
 * operation along the protocol's message pattern (pb: client → primary →
 * backup → primary → client) through the same runtime, envelopes and
 * validation, with none of its logic, answering the protocol's own client.
 * The protocol's figures over the ceiling's say what its logic costs.
 */
export interface RelaySupport {
  /** Servers of a relay cluster (the layout's `servers`). */
  readonly servers: number;
  /** The relay actor that runs at `address` (`npm run node -- --actors relay`); null when a relay cluster has no node there. */
  actorAt(address: Address): ActorDefinition<unknown> | null;
}

export interface BenchSupport {
  /** Null: the protocol has no ceiling (the bench then measures it without one). */
  readonly relay: RelaySupport | null;
}
