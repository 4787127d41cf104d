import type { VrConfig } from "./config.js";
import type { Context } from "./actor.js";
import type { VrEntry } from "./messages.js";
import type { ReplicaState, ViewChangeVote } from "./state.js";

/**
 * The decisions a planted bug may replace (plantedBugs.ts), so the handlers
 * read as the correct protocol. Each replica resolves them once.
 */
export interface VrDecisions {
  /** The highest op-number a quorum holds (the primary's own log counts as one). */
  commitPoint(state: ReplicaState, config: VrConfig): number;
  /** The DoViewChange whose log the new view takes: the largest last-normal view, then the largest op-number. */
  bestVote(votes: readonly ViewChangeVote[]): ViewChangeVote;
  /** Whether a backup takes a Prepare or Commit stamped with `viewNum`. */
  acceptsFromPrimary(state: ReplicaState, viewNum: number): boolean;
  /** Whether a RecoveryResponse answers this replica's current attempt. */
  answersRecovery(state: ReplicaState, nonce: number): boolean;
  /** A read the primary answers at once (null: it goes through the log, as every operation does). */
  readNow(state: ReplicaState, key: string): string | null;
  /**
   * A normal replica hears the primary of a later view `viewNum`: it asks that
   * primary for StartView and keeps its log and last-normal view until the
   * answer is complete. Returns whether it handled the message otherwise.
   */
  laterView(state: ReplicaState, viewNum: number, ctx: Context, env: Env): boolean;
  /** Whether the primary takes client requests: not once its log holds a reconfiguration it has not executed. */
  takesRequests(state: ReplicaState): boolean;
  /** A new member of `state.epoch` gets the state the epoch starts with (from `source` first). */
  fetchEpochState(state: ReplicaState, source: number, ctx: Context, env: Env): void;
  /** A removed replica stops at once (instead of serving until f'+1 members said EpochStarted). */
  retiresAtOnce(state: ReplicaState): boolean;
}

/** What every handler is given besides the state, the message and the context. */
export interface Env {
  readonly config: VrConfig;
  readonly decide: VrDecisions;
}

/** Entries a message may carry in one slice. */
export type Slice = { after: number; entries: VrEntry[] };
