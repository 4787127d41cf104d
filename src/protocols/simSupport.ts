import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";

// What the simulator (src/sim) asks of a protocol beyond its actors.

/** Watches one simulated run for the protocol's own verdicts. One per run: it may keep what it saw. */
export interface SimObserver {
  /** After every event of a live node (its state as the event left it). */
  afterEvent(address: Address, role: string, state: unknown, nowMs: number): void;
  /** What a node emitted, as it emitted it. */
  onEmit(address: Address, role: string, state: unknown, event: ActorEvent, nowMs: number): void;
  /** A node is about to lose its state. */
  onCrash(address: Address, role: string, state: unknown, nowMs: number): void;
  /**
   * A run whose clients did not all finish: the one reason the protocol
   * accepts for that (checked from what this observer saw, never from what the
   * actors believe), or null when being stuck is a violation.
   */
  stuckByDesign(): string | null;
}

export interface SimSupport<Config> {
  observer(config: Config): SimObserver;
}
