import type { App } from "../../kv/atMostOnce.js";
import type { IncomingTransfer, OutgoingTransfer } from "../../kv/transfer.js";
import type { Address } from "../../schemas/address.js";
import type { View } from "../../schemas/view.js";
import type { ChainEntry } from "./messages.js";
import type { Place } from "./view.js";

// A chain server's state (docs/CHAIN.md). Positions are the head's log
// positions; every server applies them in order, the head first.

/** A read waiting at the tail for its predecessor to confirm the chain. */
export interface PendingRead {
  client: Address;
  seq: number;
  key: string;
}

export interface ChainServerState {
  /** Drawn at start; a restarted server has a new one, so the master can tell. */
  incarnation: number;
  /** The newest view learned from the master (view 0 until the first). */
  view: View;
  /** The process holding each place of `view`, as the master named them. */
  holders: Map<Address, number>;
  /** The view it pings with (has taken up). */
  ackedViewNum: number;
  /** Where this server stands in `view` ("spare" also when the master named another process of its name). */
  place: Place;
  /** The application, or null when this server holds none it may trust (a spare, a joining server before the last chunk). */
  app: App | null;
  /**
   * The Sent list: positions sentBase+1 … app.applied, applied here and sent
   * (or to send) to the successor, not yet known to be applied at the tail
   * (for the tail: not yet held by the joining server).
   */
  sent: ChainEntry[];
  sentBase: number;
  /** Positions up to here went to the successor at least once. */
  forwardedUpTo: number;
  /** The successor holds every position up to here (its cumulative ack): resends start after it. */
  successorHolds: number;
  /** The last position of each Forward batch sent to the successor and not yet acknowledged, oldest first. */
  inFlightEnds: number[];
  /** Ping intervals since the successor's ack last moved: Forwards are resent after a quiet one. */
  quietTicks: number;
  /** Every position up to here is applied at the tail (trims Sent lists up the chain). */
  stable: number;
  /**
   * Tail with a joining server that installed its snapshot: the last update
   * this tail answered; it answers no more, and hands over (tells the master)
   * once the joiner holds them all. Null otherwise.
   */
  handoverAt: number | null;
  /** Positions from the predecessor held ahead of a gap (or, while joining, after the snapshot). */
  buffered: Map<number, ChainEntry>;
  /** Tail: the snapshot being sent to the joining server. */
  outgoing: OutgoingTransfer | null;
  /** Tail: the joining process that acknowledged the transfer; only its acks count. */
  joinerIncarnation: number | null;
  /** Joining server: the snapshot being received. */
  incoming: IncomingTransfer | null;
  /** Joining server: the log position of the snapshot it installed (null: none yet). */
  snapshotAt: number | null;
  /** Tail: reads waiting for the next confirmation. */
  reads: PendingRead[];
  /** Tail: the confirmation asked of the predecessor, and the reads it covers. */
  check: { id: number; reads: PendingRead[]; ticks: number } | null;
  nextCheckId: number;
}

export function hasState(state: ChainServerState): boolean {
  return state.app !== null;
}
