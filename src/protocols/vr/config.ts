import { assert } from "../../actors/assert.js";

/**
 * Viewstamped Replication's timing and bounds (docs/VR.md). Every node of a
 * cluster, clients included, is given the same object: clients need
 * `replicas` to find the primary without a view server.
 */
export interface VrConfig {
  /** n = 2f+1 replicas, `server-1` … `server-n`; any f may fail. */
  replicas: number;
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
] as const;
export type VrMutation = (typeof vrMutationNames)[number];

export const vrDefaultConfig: VrConfig = Object.freeze({
  replicas: 3,
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
  assert(config.replicas >= 1 && config.replicas <= 9, "replicas must be 1 to 9");
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

/** f: how many replicas may fail. */
export function faultsTolerated(config: Pick<VrConfig, "replicas">): number {
  return Math.floor((config.replicas - 1) / 2);
}
