import { type App, emptyApp, type LogEntry } from "../../kv/atMostOnce.js";
import type { IncomingTransfer, OutgoingTransfer } from "../../kv/transfer.js";
import { type Address, serverAddress } from "../../schemas/address.js";
import type { Op } from "../../schemas/op.js";
import { faultsTolerated, type VrConfig } from "./config.js";

// A replica's state (the paper's Figure 2, with a bounded log): plain data,
// cloned and hashed by the simulator and the model checker.

export type Status = "normal" | "view-change" | "recovering";

/** A client request the primary queued while a Prepare is out. */
export type Pending =
  | { type: "op"; client: Address; session: number; seq: number; op: Op }
  | { type: "register"; client: Address; seq: number };

/** A DoViewChange the new primary received (its own included). */
export interface ViewChangeVote {
  from: number;
  lastNormal: number;
  opNumber: number;
  commitNumber: number;
  /** The sender's log after its commit-number. */
  after: number;
  entries: LogEntry[];
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
  purpose: "catchUp" | "startView" | "recovery" | "newPrimary";
  source: number;
  /** The view whose log is fetched. */
  viewNum: number;
  /** The installed snapshot the entries follow, or null: they follow the replica's own commit-number. */
  base: App | null;
  /** The op-number the gathered entries follow. */
  after: number;
  entries: LogEntry[];
  /** The source's commit-number, as last heard. */
  commitNumber: number;
  /** newPrimary: done at this op-number; the others: when the source's primary has no more. */
  goal: number | null;
  incoming: IncomingTransfer | null;
  /** Ticks since the last answer: the request is sent again after one. */
  quietTicks: number;
}

export interface ReplicaState {
  readonly self: number;
  readonly replicas: number;
  viewNum: number;
  status: Status;
  /** The latest view in which this replica's status was normal. */
  lastNormal: number;
  opNumber: number;
  commitNumber: number;
  /** Entries logStart+1 … opNumber; those up to logStart are only in the application. */
  log: LogEntry[];
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
  /** Primary: the highest op-number each replica acknowledged in this view (its own included). */
  acked: number[];
  /** Primary: the Prepares out and not yet committed, oldest first: each one's last op-number and bytes. */
  prepared: { end: number; bytes: number }[];
  pending: Pending[];
  /** Backup: ticks since the primary was last heard; any status: ticks in the current status. */
  silentTicks: number;
  /** View change: replicas whose StartViewChange for viewNum arrived. */
  startViewChanges: number[];
  /** New primary: the DoViewChanges for viewNum. */
  votes: ViewChangeVote[];
  fetch: Fetch | null;
  /** Recovering: this attempt's nonce and who answered it (index, their view, whether they were recovering too). */
  nonce: number;
  recoveryResponses: { from: number; viewNum: number; recovering: boolean }[];
  /** Ticks left before the primary checks its sessions for expiry again. */
  expiryCheckIn: number;
}

export function replicaAddress(index: number): Address {
  return serverAddress(index + 1);
}

/** The replica index of `address`, or null when it is not one of the configuration's. */
export function replicaIndex(address: Address, replicas: number): number | null {
  const match = /^server-([0-9]+)$/.exec(address);
  if (match === null) return null;
  const index = Number(match[1]) - 1;
  return index >= 0 && index < replicas ? index : null;
}

export function primaryOf(viewNum: number, replicas: number): number {
  return viewNum % replicas;
}

export function isPrimary(state: ReplicaState): boolean {
  return primaryOf(state.viewNum, state.replicas) === state.self;
}

export function quorum(config: Pick<VrConfig, "replicas">): number {
  return faultsTolerated(config) + 1;
}

/** The entry at op-number `op` (held: logStart < op ≤ opNumber). */
export function entryAt(state: ReplicaState, op: number): LogEntry {
  const entry = state.log[op - state.logStart - 1];
  if (entry === undefined) throw new Error(`no entry ${op} (log ${state.logStart + 1}..${state.opNumber})`);
  return entry;
}

/** A replica starts recovering: it has no disk, and cannot tell a first start from a restart. */
export function initialReplica(self: number, replicas: number, nonce: number): ReplicaState {
  return {
    self,
    replicas,
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
    acked: new Array<number>(replicas).fill(0),
    prepared: [],
    pending: [],
    silentTicks: 0,
    startViewChanges: [],
    votes: [],
    fetch: null,
    nonce,
    recoveryResponses: [],
    expiryCheckIn: 0,
  };
}
