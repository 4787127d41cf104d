import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";

// What the simulator (src/sim) asks of a protocol beyond its actors: a
// watcher for the protocol's own verdicts on a run, and the fault model its
// chaos nemesis keeps to (which crashes, cuts and joins the protocol claims
// to survive).

/** Watches one simulated run for the protocol's own verdicts. One per run: it may keep what it saw. */
export interface SimObserver {
  /** After every event of a live node (its state as the event left it). */
  afterEvent(address: Address, role: string, state: unknown, nowMs: number): void;
  /** What a node emitted, as it emitted it (`state` is null while its init runs). */
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

/** What a fault model may read of the simulated cluster, now. */
export interface SimCluster {
  /** A node's state, or null while it is down. */
  stateOf(address: Address): unknown;
  isUp(address: Address): boolean;
}

/**
 * The nemesis's question before it crashes a node: "refuse" (that loss is
 * beyond what the protocol survives now), "crash", or "recovery": crash, and
 * the cluster now recovers from losing a node that held the state, so the
 * nemesis caps message loss and holds partitions until `recovering()` ends.
 */
export type CrashVerdict = "refuse" | "crash" | "recovery";

/** The faults a protocol claims to survive (DESIGN §4), as the chaos nemesis applies them. One per run. */
export interface SimFaultModel {
  /** Whether `victim`, an up node of a crashable role, may crash now; a "recovery" verdict is recorded as given. */
  crash(victim: Address, partitioned: boolean): CrashVerdict;
  /** A recovery the nemesis must not disturb is under way. */
  recovering(): boolean;
  /** The two ends of the one link worth cutting now (pb: the primary and the view server); `pick` draws a crashable node. */
  cut(pick: () => Address): readonly [Address, Address];
}

export interface SimSupport<Config> {
  observer(config: Config): SimObserver;
  faults(cluster: SimCluster, config: Config): SimFaultModel;
  /** Servers may join a running cluster: the nemesis starts the nodes `layout(n + 1)` adds. */
  readonly joins: boolean;
}
