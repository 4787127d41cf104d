import { type App, applyEntry, countEntry, type EntryResult } from "../../kv/atMostOnce.js";
import { saveSnapshotValue } from "../../kv/transfer.js";
import { batchBytesMax, chunkEntriesMax, encodedBytes, entryOverheadBytes } from "../../schemas/limits.js";
import { assert } from "../../actors/assert.js";
import type { Context } from "./actor.js";
import type { VrConfig } from "./config.js";
import type { Env, Slice } from "./env.js";
import { epochCommitted } from "./epochs.js";
import type { ReconfigEntry, VrEntry } from "./messages.js";
import { entryAt, type ReplicaState } from "./state.js";

// The log and the application behind it: executing committed entries, and
// keeping the log bounded. The log keeps at least checkpointEntries committed
// entries, so a replica a little behind fetches entries, not the whole
// application; one further behind gets a snapshot (fetch.ts).

/** Bytes an entry adds to a message (what batches and slices are bounded by). */
export function entrySize(entry: VrEntry): number {
  switch (entry.type) {
    case "op": {
      const op = entry.op;
      const value = op.f === "get" ? "" : op.value;
      return encodedBytes(op.key) + encodedBytes(value) + entryOverheadBytes;
    }
    case "register":
    case "expire":
    case "check":
      return entryOverheadBytes;
    case "reconfig":
      return entryOverheadBytes + 4 * entry.members.length;
  }
}

/**
 * The entries after `after` up to `upTo`, at most batchBytesMax bytes and
 * chunkEntriesMax entries (one entry always fits).
 */
export function sliceAfter(state: ReplicaState, after: number, upTo: number): Slice {
  const entries: VrEntry[] = [];
  let bytes = 0;
  for (let op = after + 1; op <= upTo && entries.length < chunkEntriesMax; op++) {
    const entry = entryAt(state, op);
    const size = entrySize(entry);
    if (entries.length > 0 && bytes + size > batchBytesMax) break;
    bytes += size;
    entries.push(entry);
  }
  return { after, entries };
}

/** Every entry after `after` (the replica holds them): for DoViewChange and StartView, whose tails are one batch. */
export function entriesAfter(state: ReplicaState, after: number): VrEntry[] {
  assert(after >= state.logStart, `entries after ${after} are dropped (log starts at ${state.logStart})`);
  return state.log.slice(after - state.logStart);
}

/** Appends `slice`'s entries beyond the replica's op-number (the slice must start at or before it). */
export function appendSlice(state: ReplicaState, slice: Slice): void {
  assert(slice.after <= state.opNumber, "a slice never leaves a gap");
  for (let i = state.opNumber - slice.after; i < slice.entries.length; i++) state.log.push(slice.entries[i]!);
  state.opNumber = Math.max(state.opNumber, slice.after + slice.entries.length);
}

/**
 * Executes committed entries in order; `onResult` hears each (the primary
 * answers its clients). A reconfiguration moves the replica to its epoch
 * (epochs.ts); it and a check are counted, never seen by the application.
 */
export function executeCommitted(
  state: ReplicaState,
  ctx: Context,
  env: Env,
  onResult: (entry: VrEntry, result: EntryResult | null) => void = () => {},
): void {
  while (state.app.applied < state.commitNumber) {
    const op = state.app.applied + 1;
    const entry = entryAt(state, op);
    if (entry.type === "reconfig" || entry.type === "check") {
      countEntry(state.app, entry.atMs);
      onResult(entry, null);
      if (entry.type === "reconfig") epochCommitted(state, entry, op, ctx, env);
      continue;
    }
    // A snapshot being sent keeps the value it was taken with.
    if (state.outgoing !== null && entry.type === "op" && entry.op.f !== "get")
      saveSnapshotValue(state.outgoing, state.app.store, entry.op.key);
    onResult(entry, applyEntry(state.app, entry));
  }
  trimLog(state, env.config);
}

/**
 * With twice checkpointEntries committed entries held, the older half is
 * dropped (amortized: each entry is copied once more), never past a snapshot
 * being sent, whose fetcher continues with the entries after it.
 */
function trimLog(state: ReplicaState, config: VrConfig): void {
  if (state.commitNumber - state.logStart < 2 * config.checkpointEntries) return;
  let start = state.commitNumber - config.checkpointEntries;
  if (state.outgoing !== null) start = Math.min(start, state.outgoing.applied);
  if (start <= state.logStart) return;
  state.log = state.log.slice(start - state.logStart);
  state.logStart = start;
}

/** Replaces log and application by `base` and the entries after it (a fetch that installed a snapshot). */
export function installBase(state: ReplicaState, base: App, entries: VrEntry[]): void {
  state.app = base;
  // A snapshot of the replaced application would now read the new store's values: it goes.
  state.outgoing = null;
  state.logStart = base.applied;
  state.log = entries;
  state.opNumber = base.applied + entries.length;
  state.commitNumber = Math.max(state.commitNumber, base.applied);
}

/**
 * The reconfiguration this replica's log holds and has not executed (logged,
 * maybe committed, not yet applied), or null. The epoch takes no request
 * after it, and answers no client in views after the one that logged it.
 */
export function unexecutedReconfiguration(state: ReplicaState): ReconfigEntry | null {
  const op = unexecutedReconfigurationOp(state);
  return op === null ? null : (entryAt(state, op) as ReconfigEntry);
}

/** The op-number of unexecutedReconfiguration's entry, or null. */
export function unexecutedReconfigurationOp(state: ReplicaState): number | null {
  for (let op = state.app.applied + 1; op <= state.opNumber; op++) {
    const entry = entryAt(state, op);
    if (entry.type === "reconfig" && entry.epoch > state.epoch) return op;
  }
  return null;
}

/** Keeps the committed log up to the commit-number and puts `entries` after it. */
export function replaceAfterCommit(state: ReplicaState, entries: VrEntry[]): void {
  state.log = state.log.slice(0, state.commitNumber - state.logStart).concat(entries);
  state.opNumber = state.commitNumber + entries.length;
}

/** The stamp for a new entry: the primary's clock, never before an entry already logged or applied. */
export function stampNow(state: ReplicaState, nowMs: number): number {
  const last = state.log.length > 0 ? state.log[state.log.length - 1]!.atMs : 0;
  return Math.max(nowMs, last, state.app.timeMs);
}

export type { VrConfig };
