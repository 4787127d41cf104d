import { applyEntry, copyApp, type EntryResult, type LogEntry } from "../../kv/atMostOnce.js";
import { batchBytesMax, chunkEntriesMax, encodedBytes, entryOverheadBytes } from "../../schemas/limits.js";
import { assert } from "../../actors/assert.js";
import type { VrConfig } from "./config.js";
import type { Slice } from "./env.js";
import { entryAt, type ReplicaState } from "./state.js";

// The log and the application behind it: executing committed entries, and
// checkpoints that keep the log bounded. The log keeps at least
// checkpointEntries committed entries, so a replica a little behind fetches
// entries, not the whole application.

/** Bytes an entry adds to a message (what batches and slices are bounded by). */
export function entrySize(entry: LogEntry): number {
  switch (entry.type) {
    case "op": {
      const op = entry.op;
      const value = op.f === "get" ? "" : op.value;
      return encodedBytes(op.key) + encodedBytes(value) + entryOverheadBytes;
    }
    case "register":
    case "expire":
      return entryOverheadBytes;
  }
}

/**
 * The entries after `after` up to `upTo`, at most batchBytesMax bytes and
 * chunkEntriesMax entries (one entry always fits).
 */
export function sliceAfter(state: ReplicaState, after: number, upTo: number): Slice {
  const entries: LogEntry[] = [];
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
export function entriesAfter(state: ReplicaState, after: number): LogEntry[] {
  assert(after >= state.logStart, `entries after ${after} are dropped (log starts at ${state.logStart})`);
  return state.log.slice(after - state.logStart);
}

/** Appends `slice`'s entries beyond the replica's op-number (the slice must start at or before it). */
export function appendSlice(state: ReplicaState, slice: Slice): void {
  assert(slice.after <= state.opNumber, "a slice never leaves a gap");
  for (let i = state.opNumber - slice.after; i < slice.entries.length; i++) state.log.push(slice.entries[i]!);
  state.opNumber = Math.max(state.opNumber, slice.after + slice.entries.length);
}

/** Executes committed entries in order; `onResult` hears each (the primary answers its clients). */
export function executeCommitted(
  state: ReplicaState,
  config: VrConfig,
  onResult: (entry: LogEntry, result: EntryResult) => void,
): void {
  while (state.app.applied < state.commitNumber) {
    const entry = entryAt(state, state.app.applied + 1);
    onResult(entry, applyEntry(state.app, entry));
  }
  advanceCheckpoint(state, config);
}

/**
 * Every checkpointEntries commits the application is copied (the next
 * checkpoint); the copy before it becomes the checkpoint and the log before
 * it is dropped. A checkpoint a replica is fetching stays until it is done.
 */
function advanceCheckpoint(state: ReplicaState, config: VrConfig): void {
  const since = state.nextCheckpoint?.applied ?? state.logStart;
  if (state.commitNumber - since < config.checkpointEntries) return;
  if (state.nextCheckpoint !== null) {
    if (state.pinnedTicks > 0) return;
    const next = state.nextCheckpoint;
    state.log = state.log.slice(next.applied - state.logStart);
    state.logStart = next.applied;
    state.checkpoint = next;
    state.outgoing = null;
  }
  state.nextCheckpoint = copyApp(state.app);
}

/** Replaces log and application by `base` and the entries after it (a fetch that installed a checkpoint). */
export function installBase(
  state: ReplicaState,
  base: ReturnType<typeof copyApp>,
  entries: LogEntry[],
): void {
  state.app = base;
  state.checkpoint = copyApp(base);
  state.nextCheckpoint = null;
  state.outgoing = null;
  state.logStart = base.applied;
  state.log = entries;
  state.opNumber = base.applied + entries.length;
  state.commitNumber = Math.max(state.commitNumber, base.applied);
}

/** Keeps the committed log up to the commit-number and puts `entries` after it. */
export function replaceAfterCommit(state: ReplicaState, entries: LogEntry[]): void {
  state.log = state.log.slice(0, state.commitNumber - state.logStart).concat(entries);
  state.opNumber = state.commitNumber + entries.length;
}

/** The stamp for a new entry: the primary's clock, never before an entry already logged or applied. */
export function stampNow(state: ReplicaState, nowMs: number): number {
  const last = state.log.length > 0 ? state.log[state.log.length - 1]!.atMs : 0;
  return Math.max(nowMs, last, state.app.timeMs);
}

export type { VrConfig };
