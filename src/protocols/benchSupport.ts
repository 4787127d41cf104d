import type { ActorDefinition } from "../actors/context.js";
import type { Address } from "../schemas/address.js";
import type { ClusterEvent } from "../schemas/clusterEvents.js";
import type { View } from "../schemas/view.js";
import type { ProtocolConfigBase } from "./protocol.js";

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

/**
 * Where the bench's failover rounds crash a server, for a protocol whose
 * servers hold different places (chain: head, middle, tail); each position
 * is measured on its own. Absent: the rounds crash the view's primary.
 */
export interface FailoverPositions {
  /** The positions, in the order measured; the first fills the report's `failover`. */
  readonly positions: readonly string[];
  /** The server at `position` in `view`, or null when the view has none there. */
  serverAt(view: View, position: string): Address | null;
  /** `view` no longer has `crashed` in any place that serves: the change the crash causes. */
  without(view: View, crashed: Address): boolean;
}

export interface BenchSupport {
  /** Null: the protocol has no ceiling (the bench then measures it without one). */
  readonly relay: RelaySupport | null;
  /**
   * The cluster event that shows a replicated `view` (one `broker.ready`
   * accepts) serving, when the answer to the view query does not say so
   * (pb: its view server names a backup before the primary heard that backup
   * installed the state, the `transfer` event). The bench starts a load or a
   * failover round only after it, and reports the failover's new view as
   * serving at its time. Absent: a view `broker.ready` accepts serves as
   * answered (VR: its primary answers "normal" only once it runs the view;
   * the bench then takes the new primary's `view` event as the time).
   */
  servingEvent?(view: View, event: ClusterEvent): boolean;
  /**
   * The configuration of its one-server cluster, the bench's `unreplicated`
   * row (the protocol's code with no replica to wait for), made from the
   * measured one; absent: no such row. pb: the same configuration, one
   * server; VR: one replica (f = 0, the primary commits alone).
   */
  unreplicated?(config: ProtocolConfigBase): ProtocolConfigBase;
  /**
   * The servers of its replicated cluster, when its configuration does not
   * fix them (`config.servers`) and the bench's 3 do not fit; absent: 3 (pb:
   * primary, backup and a spare). Chain: its length and a spare.
   */
  servers?(config: ProtocolConfigBase): number;
  /**
   * The view has the redundancy the configuration asks for, not only the
   * least that `broker.ready` accepts (chain: every link, no join under way);
   * the bench measures and starts a failover round only then. Absent: a view
   * `broker.ready` accepts is full.
   */
  full?(view: View, config: ProtocolConfigBase): boolean;
  /** Where the failover rounds crash; absent: the primary. */
  failover?: FailoverPositions;
}
