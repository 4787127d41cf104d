import { type App, emptyApp } from "../../kv/atMostOnce.js";
import type { IncomingTransfer, OutgoingTransfer } from "../../kv/transfer.js";
import type { Address } from "../../schemas/address.js";
import { replicaSlotsMax } from "../../schemas/limits.js";
import type { Op } from "../../schemas/op.js";
import { firstMembers, primaryOf } from "./members.js";
import type { EpochStart, VrEntry } from "./messages.js";

// A replica's state (the paper's Figure 2, with a bounded log): plain data,
// cloned and hashed by the simulator and the model checker.

/**
 * normal, view-change, recovering: the paper's, within the replica's epoch.
 * transitioning: a member of a newer epoch fetching the state it starts
 * with; removed: the epoch left this replica out, and it serves the new
 * members' fetches until f'+1 of them say EpochStarted; retired: a removed
 * replica done serving, which takes no more part (its host stops it; in the
 * simulator it hears only a later StartEpoch that names it again); spare:
 * not a member (an idle slot), waiting for StartEpoch.
 */
export type Status =
  "normal" | "view-change" | "recovering" | "transitioning" | "removed" | "retired" | "spare";

/** A client request the primary queued while a Prepare is out. */
export type Pending =
  | { type: "op"; client: Address; session: number; seq: number; op: Op }
  | { type: "register"; client: Address; seq: number }
  /** An operator's reconfiguration: logged last, after which this epoch takes no request. */
  | { type: "reconfig"; members: number[] }
  /** An operator's CheckEpoch, answered once logged and committed in this epoch. */
  | { type: "check"; client: Address; seq: number };

/** A DoViewChange the new primary received (its own included). */
export interface ViewChangeVote {
  from: number;
  lastNormal: number;
  opNumber: number;
  commitNumber: number;
  /** The sender's log after its commit-number. */
  after: number;
  entries: VrEntry[];
}

/**
 * Fetching log entries (and, when the source dropped them, a snapshot of its application)
 * from one replica (docs/VR.md, "State transfer"). Entries gather here and
 * replace the replica's own log only when the fetch is complete: a replica
 * never drops entries it may have acknowledged before it holds what
 * supersedes them (the paper's truncation loses acknowledged writes).
 */
export interface Fetch {
  /** catchUp: a backup behind in its own view (appends directly); the others gather first. */
  purpose: "catchUp" | "startView" | "recovery" | "newPrimary" | "epoch";
  source: number;
  /** The view whose log is fetched. */
  viewNum: number;
  /** The installed snapshot the entries follow, or null: they follow the replica's own commit-number. */
  base: App | null;
  /** The op-number the gathered entries follow. */
  after: number;
  entries: VrEntry[];
  /** The source's commit-number, as last heard. */
  commitNumber: number;
  /** newPrimary and epoch: done at this op-number; the others: when the source's primary has no more. */
  goal: number | null;
  incoming: IncomingTransfer | null;
  /** Ticks since the last answer: the request is sent again after one. */
  quietTicks: number;
}

export interface ReplicaState {
  readonly self: number;
  /** Replica slots this replica asks when it recovers (the configuration's members and spares). */
  readonly slots: number;
  /** The configuration's number: 0 at the start, one more at each reconfiguration. */
  epoch: number;
  /** The epoch's replicas, ascending. */
  members: number[];
  epochStart: EpochStart;
  /** Removed: the members of the epoch that said EpochStarted. */
  epochStarted: number[];
  viewNum: number;
  status: Status;
  /** The latest view in which this replica's status was normal. */
  lastNormal: number;
  opNumber: number;
  commitNumber: number;
  /** Entries logStart+1 … opNumber; those up to logStart are only in the application. */
  log: VrEntry[];
  logStart: number;
  /** The application with every committed entry executed (app.applied === commitNumber once caught up). */
  app: App;
  /**
   * A snapshot of the application being sent to a replica that lacks the
   * dropped part of the log: taken at a commit-number, copy-on-write (a write
   * saves the key's snapshot value first, src/kv/transfer.ts), so no copy of
   * the store is ever made. The log after it is kept until it is dropped.
   */
  outgoing: OutgoingTransfer | null;
  /** Ticks before `outgoing` is dropped, unless a chunk of it is asked for again. */
  pinnedTicks: number;
  /** Primary: the highest op-number each replica acknowledged in this view (its own included), by slot. */
  acked: number[];
  /** Primary: the Prepares out and not yet committed, oldest first: each one's last op-number and bytes. */
  prepared: { end: number; bytes: number }[];
  /**
   * Primary: its op-number at its last tick. A tick resends only the Prepares
   * that were out already then: resending every tick also copied the Prepare
   * sent a moment ago, a whole batch each backup parsed and dropped, on the
   * way of the next one. A lost Prepare goes again within two ticks.
   */
  preparedAtLastTick: number;
  pending: Pending[];
  /**
   * Primary: clients it refused (Busy) or dropped after logging a
   * reconfiguration; once it executes it, each hears where the next epoch is
   * (NotPrimary), instead of waiting for its retry timer. At most pendingMax.
   */
  awaitingEpoch: Address[];
  /** Backup: ticks since the primary was last heard; any status: ticks in the current status. */
  silentTicks: number;
  /** View change: replicas whose StartViewChange for viewNum arrived. */
  startViewChanges: number[];
  /** New primary: the DoViewChanges for viewNum. */
  votes: ViewChangeVote[];
  fetch: Fetch | null;
  /**
   * Recovering: this attempt's nonce and who answered it (index, their view,
   * whether they were recovering too at some moment of the attempt, and in
   * their latest answer, whether their log holds a reconfiguration they have
   * not executed).
   */
  nonce: number;
  recoveryResponses: {
    from: number;
    viewNum: number;
    /** It answered "recovering" at some moment of this attempt. */
    recovering: boolean;
    /** Its latest answer was not "recovering". */
    normalNow: boolean;
    pending: boolean;
  }[];
  /** Ticks left before the primary checks its sessions for expiry again. */
  expiryCheckIn: number;
}

/** The primary of the replica's view in its epoch (whatever its status). */
export function viewPrimary(state: ReplicaState): number {
  return primaryOf(state.viewNum, state.members);
}

export function isPrimary(state: ReplicaState): boolean {
  return viewPrimary(state) === state.self;
}

export function isMember(state: ReplicaState, index: number = state.self): boolean {
  return state.members.includes(index);
}

/** The entry at op-number `op` (held: logStart < op ≤ opNumber). */
export function entryAt(state: ReplicaState, op: number): VrEntry {
  const entry = state.log[op - state.logStart - 1];
  if (entry === undefined) throw new Error(`no entry ${op} (log ${state.logStart + 1}..${state.opNumber})`);
  return entry;
}

/**
 * A replica starts recovering: it has no disk, and cannot tell a first start
 * from a restart. It assumes epoch 0's group (the first `replicas` slots)
 * until an answer names a later epoch.
 */
export function initialReplica(self: number, replicas: number, slots: number, nonce: number): ReplicaState {
  return {
    self,
    slots,
    epoch: 0,
    members: firstMembers(replicas),
    epochStart: { op: 0, view: 0, oldMembers: [] },
    epochStarted: [],
    viewNum: 0,
    status: "recovering",
    lastNormal: 0,
    opNumber: 0,
    commitNumber: 0,
    log: [],
    logStart: 0,
    app: emptyApp(),
    outgoing: null,
    pinnedTicks: 0,
    acked: new Array<number>(replicaSlotsMax).fill(0),
    prepared: [],
    preparedAtLastTick: 0,
    pending: [],
    awaitingEpoch: [],
    silentTicks: 0,
    startViewChanges: [],
    votes: [],
    fetch: null,
    nonce,
    recoveryResponses: [],
    expiryCheckIn: 0,
  };
}
