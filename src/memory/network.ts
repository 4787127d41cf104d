// The in-memory network (DESIGN §6, `--transport memory`): carries envelopes
// between the actors of one process in real time. Each copy is delivered on
// its own macrotask, at once or after the delay the fault layer picked, so a
// handler never runs inside another one's send, as on the broker.
//
// Faults are the broker runtime's fault layer (src/broker/faults.ts, pure):
// the same control commands, the same decisions (partition, drop, duplicate,
// delay buckets that reorder), so `net`, `partition` and `heal` mean exactly
// what they mean on RabbitMQ. The simulator's network (src/sim/network.ts) is
// seeded and has no per-link settings, which the control commands need.
import type { Address } from "../schemas/address.js";
import type { ControlCommand } from "../schemas/control.js";
import type { Envelope } from "../schemas/envelope.js";
import {
  applyToFaults,
  cleanFaults,
  describeFaults,
  type FaultSettings,
  planSend,
} from "../broker/faults.js";
import { TimerSet } from "./timers.js";

/** Takes a message; false when the receiver refused it (crashed). */
export type Receiver = (message: Envelope) => boolean;

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  partitioned: number;
  duplicated: number;
  /** Addressed to a crashed node or to no node at all. */
  refused: number;
}

export class MemoryNetwork {
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    partitioned: 0,
    duplicated: 0,
    refused: 0,
  };
  private readonly receivers = new Map<Address, Receiver>();
  private readonly deliveries = new TimerSet();
  private faults: FaultSettings = cleanFaults();

  /** `random` decides drops, duplicates and delays; tests pass a fixed one. */
  constructor(private readonly random: () => number = Math.random) {}

  attach(address: Address, receiver: Receiver): void {
    if (this.receivers.has(address)) throw new Error(`${address} is already on the network`);
    this.receivers.set(address, receiver);
  }

  detach(address: Address): void {
    this.receivers.delete(address);
  }

  send(message: Envelope): void {
    this.stats.sent += 1;
    const plan = planSend(this.faults, message.from, message.to, this.random);
    if (plan.kind === "partitioned") {
      this.stats.partitioned += 1;
      return;
    }
    if (plan.kind === "dropped") {
      this.stats.dropped += 1;
      return;
    }
    this.stats.duplicated += plan.copiesDelayMs.length - 1;
    for (const delayMs of plan.copiesDelayMs) {
      // A copy of its own, as if it went through the wire: neither side can touch the other's objects.
      const copy = structuredClone(message);
      this.deliveries.after(delayMs, () => this.deliver(copy));
    }
  }

  /** Applies the network part of a control command; returns the settings in one line. */
  apply(command: ControlCommand): string {
    applyToFaults(this.faults, command);
    return describeFaults(this.faults);
  }

  describe(): string {
    return describeFaults(this.faults);
  }

  /** Messages on their way (each is a pending timer). */
  get inFlight(): number {
    return this.deliveries.pending;
  }

  /** Drops everything in flight and delivers nothing more. */
  close(): void {
    this.deliveries.clear({ close: true });
    this.receivers.clear();
  }

  private deliver(message: Envelope): void {
    const receiver = this.receivers.get(message.to);
    if (receiver === undefined || !receiver(message)) {
      this.stats.refused += 1;
      return;
    }
    this.stats.delivered += 1;
  }
}
