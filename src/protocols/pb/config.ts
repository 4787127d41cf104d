import { assert } from "../../actors/assert.js";

/**
 * Protocol timing and bounds. The defaults are DESIGN §1's; every driver
 * passes the same object to every actor of a cluster.
 */
export interface ProtocolConfig {
  /** Servers ping the view server this often (and resend unacknowledged work). */
  pingMs: number;
  /** The view server declares dead a server that did not ping between two checks this far apart. */
  pingCheckMs: number;
  /** A client re-asks for the view and resends after this long without an answer. */
  clientRetryMs: number;
  /** Most operations in one Forward message. */
  forwardBatchMax: number;
  /** Most Forward messages the primary has in flight before it waits for acks. */
  forwardWindow: number;
  /** Most client operations the primary queues (beyond that it answers Busy). */
  pendingMax: number;
  /** Most state-transfer chunks the primary has sent and the backup not yet acknowledged. */
  transferWindow: number;
  /**
   * The servers forget a client session idle longer than this, measured by
   * the primary's stamps on the log (DESIGN §4.1); its next request is
   * answered SessionExpired. Clients open their session again after half of
   * it without an answer, so only an operation outstanding that long meets it.
   */
  sessionExpiryMs: number;
  /** Planted bugs for the model checker and tests; empty in every real run. */
  mutations: readonly Mutation[];
}

export const mutationNames = [
  "backupAcceptsAnyView",
  "replyBeforeBackupAck",
  "transferWithoutAtMostOnce",
  "promoteIdleServer",
  "serveDuringTransfer",
  "ignorePrimaryRestart",
  "fastReads",
  "ignoreAckRule",
  "nonPrimaryServes",
  "transferOverwritesForwards",
  "acksWithoutIncarnation",
  "waitForLostBackup",
  "applyForwardsOnArrival",
  "bumpWithoutChange",
] as const;
export type Mutation = (typeof mutationNames)[number];

export const defaultConfig: ProtocolConfig = Object.freeze({
  pingMs: 25,
  pingCheckMs: 100,
  clientRetryMs: 100,
  forwardBatchMax: 64,
  forwardWindow: 1,
  pendingMax: 1024,
  transferWindow: 4,
  sessionExpiryMs: 60_000,
  mutations: [],
});

export function makeConfig(overrides: Partial<ProtocolConfig> = {}): ProtocolConfig {
  const config = { ...defaultConfig, ...overrides };
  assert(config.pingMs > 0 && config.pingCheckMs > 0, "timers must be positive");
  // Two pings must fit in a check interval, or a live server would look dead.
  assert(config.pingCheckMs >= 2 * config.pingMs, "pingCheckMs must be at least twice pingMs");
  assert(config.forwardBatchMax >= 1 && config.forwardWindow >= 1, "forwarding bounds must be positive");
  assert(config.transferWindow >= 1, "the transfer window must be positive");
  assert(config.pendingMax >= config.forwardBatchMax, "pendingMax must hold at least one batch");
  // A client must be able to open a session and run an operation within it, retries included.
  assert(
    config.sessionExpiryMs >= 4 * config.clientRetryMs,
    "sessionExpiryMs must be at least 4 client retries",
  );
  return Object.freeze(config);
}
