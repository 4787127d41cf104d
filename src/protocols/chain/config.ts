import { assert } from "../../actors/assert.js";

/**
 * Chain replication's timing and bounds (docs/CHAIN.md). Every node of a
 * cluster, the master and clients included, is given the same object.
 */
export interface ChainConfig {
  /** Servers the master links into the chain (the rest are spares that join as the tail when one is lost). */
  chainLength: number;
  /** Servers ping the master this often, and resend what is unacknowledged. */
  pingMs: number;
  /** The master declares dead a server that did not ping between two checks this far apart. */
  pingCheckMs: number;
  /** A client asks the master for the chain again and resends after this long without an answer. */
  clientRetryMs: number;
  /** Most log entries in one Forward (a Forward also stops at batchBytesMax encoded bytes). */
  forwardBatchMax: number;
  /** Most Forward batches a server has unacknowledged on its link to its successor (what is applied meanwhile waits for the next batch). */
  forwardWindow: number;
  /** Most updates the head holds in its Sent list, not yet known applied at the tail (beyond, it answers Busy). */
  sentMax: number;
  /** Most reads the tail queues while it confirms it is still the tail (beyond, it answers Busy). */
  readsMax: number;
  /** Most state-transfer chunks the tail has sent and the joining server not yet acknowledged. */
  transferWindow: number;
  /** Forget a client session idle this long, measured by the head's stamps on the log. */
  sessionExpiryMs: number;
  /** Planted bugs for the model checker and tests; empty in every real run. */
  mutations: readonly ChainMutation[];
}

export const chainMutationNames = [
  "tailRepliesBeforeApply",
  "readsAtHead",
  "dropSentOnRelink",
  "joinerServesEarly",
  "applyOnArrival",
  "readsWithoutCheck",
] as const;
export type ChainMutation = (typeof chainMutationNames)[number];

export const chainDefaultConfig: ChainConfig = Object.freeze({
  chainLength: 3,
  pingMs: 25,
  pingCheckMs: 100,
  clientRetryMs: 100,
  forwardBatchMax: 64,
  forwardWindow: 1,
  sentMax: 1024,
  readsMax: 1024,
  transferWindow: 4,
  sessionExpiryMs: 60_000,
  mutations: [],
});

export function makeChainConfig(overrides: Partial<ChainConfig> = {}): ChainConfig {
  const config = { ...chainDefaultConfig, ...overrides };
  assert(config.chainLength >= 1 && config.chainLength <= 9, "chainLength must be 1 to 9");
  assert(config.pingMs > 0 && config.pingCheckMs > 0, "timers must be positive");
  // Two pings must fit in a check interval, or a live server would look dead.
  assert(config.pingCheckMs >= 2 * config.pingMs, "pingCheckMs must be at least twice pingMs");
  assert(config.forwardBatchMax >= 1, "forwardBatchMax must be positive");
  assert(config.forwardWindow >= 1, "forwardWindow must be positive");
  assert(config.sentMax >= config.forwardBatchMax, "sentMax must hold at least one batch");
  assert(config.readsMax >= 1, "readsMax must be positive");
  assert(config.transferWindow >= 1, "the transfer window must be positive");
  assert(
    config.sessionExpiryMs >= 4 * config.clientRetryMs,
    "sessionExpiryMs must be at least 4 client retries",
  );
  return Object.freeze(config);
}
