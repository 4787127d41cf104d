import { assert } from "../../actors/assert.js";
import { replicaSlotsMax } from "../../schemas/limits.js";

/**
 * Viewstamped Replication's timing and bounds (docs/VR.md). Every node of a
 * cluster, clients included, is given the same object: clients need
 * `replicas` to find the primary without a view server.
 */
/** A reconfiguration the simulator's or model checker's operator asks for: the next epoch's members. */
export interface PlannedReconfiguration {
  members: readonly number[];
}

export interface VrConfig {
  /** n = 2f+1 replicas, `server-1` … `server-n`, epoch 0's group; any f may fail. */
  replicas: number;
  /**
   * Replica slots started idle besides them (`server-(n+1)` …), which a
   * reconfiguration may make members. The broker's supervisor also starts
   * slots on demand (`npm run reconfigure`).
   */
  spares: number;
  /**
   * Simulator and model checker: the operator node's reconfigurations, in
   * order, each once the one before runs; "random": it picks its own (the
   * nemesis's reconfigurations). Empty: no operator node.
   */
  operator: readonly PlannedReconfiguration[] | "random";
  /** Replicas run their timers this often: the primary sends Commit when idle, a backup counts silence. */
  tickMs: number;
  /** A backup that hears nothing from its primary for this long starts a view change (so does a stalled view change). */
  viewChangeTimeoutMs: number;
  /** A client resends after this long without an answer, to every replica. */
  clientRetryMs: number;
  /** Most log entries in one Prepare (a Prepare also stops at batchBytesMax encoded bytes). */
  prepareBatchMax: number;
  /**
   * Most Prepares the primary has out, uncommitted. Whatever the window, the
   * uncommitted entries take at most batchBytesMax (or are one larger entry),
   * so DoViewChange and StartView always fit a message. Default 1, as pb's
   * forward window: on this 2-core localhost the primary is CPU-bound and 4
   * measured no gain (9,070 vs 9,574 ops/s at 64 clients, 5,214 vs 5,250 at
   * 16); across real network hops a wider window hides the round trip.
   */
  prepareWindow: number;
  /** Most client requests the primary queues while a Prepare is out (beyond, it answers Busy). */
  pendingMax: number;
  /** The log keeps at least this many committed entries (at most twice as many); a replica behind by more gets a snapshot. */
  checkpointEntries: number;
  /** Forget a client session idle this long (the same on every node of a cluster). */
  sessionExpiryMs: number;
  /** Planted bugs for the model checker and tests; empty in every real run. */
  mutations: readonly VrMutation[];
}

export const vrMutationNames = [
  "commitWithoutQuorum",
  "doViewChangePicksLongestLog",
  "acceptOldViewPrepare",
  "recoveryWithoutNonce",
  "readsWithoutCommit",
  "truncOnNewerView",
  "reconfRemovedStopsEarly",
  "reconfNewMemberServesUnfetched",
  "oldPrimaryTakesRequestsAfterReconf",
  "reconfCountsUnprobed",
] as const;
export type VrMutation = (typeof vrMutationNames)[number];

export const vrDefaultConfig: VrConfig = Object.freeze({
  replicas: 3,
  spares: 0,
  operator: [],
  tickMs: 20,
  viewChangeTimeoutMs: 100,
  clientRetryMs: 100,
  prepareBatchMax: 64,
  prepareWindow: 1,
  pendingMax: 1024,
  checkpointEntries: 1024,
  sessionExpiryMs: 60_000,
  mutations: [],
});

export function makeVrConfig(overrides: Partial<VrConfig> = {}): VrConfig {
  const config = { ...vrDefaultConfig, ...overrides };
  assert(
    config.replicas >= 1 && config.replicas <= replicaSlotsMax,
    `replicas must be 1 to ${replicaSlotsMax}`,
  );
  assert(
    config.spares >= 0 && config.replicas + config.spares <= replicaSlotsMax,
    `replicas and spares are at most ${replicaSlotsMax} together`,
  );
  assert(config.tickMs > 0, "tickMs must be positive");
  // Silence is counted in ticks; a backup must hear several idle Commits before it suspects the primary.
  assert(config.viewChangeTimeoutMs >= 3 * config.tickMs, "viewChangeTimeoutMs must be at least 3 ticks");
  assert(config.prepareBatchMax >= 1, "prepareBatchMax must be positive");
  assert(config.prepareWindow >= 1, "prepareWindow must be positive");
  assert(config.pendingMax >= config.prepareBatchMax, "pendingMax must hold at least one batch");
  assert(config.checkpointEntries >= 1, "checkpointEntries must be positive");
  assert(
    config.sessionExpiryMs >= 4 * config.clientRetryMs,
    "sessionExpiryMs must be at least 4 client retries",
  );
  return Object.freeze(config);
}

/** f of epoch 0's group: how many of its replicas may fail. */
export function faultsTolerated(config: Pick<VrConfig, "replicas">): number {
  return Math.floor((config.replicas - 1) / 2);
}

/** Replica slots a cluster of this configuration starts: the members and the spares. */
export function slotsOf(config: Pick<VrConfig, "replicas" | "spares">): number {
  return config.replicas + config.spares;
}
