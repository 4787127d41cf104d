import type { App, Session } from "./atMostOnce.js";
import type { KvStore } from "./store.js";
import type { Address } from "../schemas/address.js";
import { batchBytesMax, chunkEntriesMax, entryBytes } from "../schemas/limits.js";
import type { TransferChunk } from "../schemas/snapshot.js";
import { assert } from "../actors/assert.js";

// State transfer in chunks (DESIGN §4.1). When a view gives the primary a new
// backup, the primary takes a snapshot at its current log position: the list
// of its keys (cheap: no value is copied) and a copy of the at-most-once
// table. It keeps serving: a write to a snapshot key first saves the key's
// snapshot value in `before`, so any chunk, sent or resent, holds the values
// as they were at the snapshot. Operations after the snapshot reach the
// backup as Forwards, which it holds until the last chunk is in.
//
// The stream is the snapshot's keys, then its table entries, cut into chunks
// of at most batchBytesMax encoded bytes and chunkEntriesMax entries (one
// entry always fits). Where each chunk starts is recorded when it is first
// cut, so a resent chunk is the same chunk. The backup takes chunks in order
// only and acknowledges how many it holds, so loss, duplication and
// reordering cost a resend, never a wrong state.

/** Primary: the snapshot being sent to the backup of the current view. */
export interface OutgoingTransfer {
  /** The snapshot's log position: what the primary had applied when the view began. */
  applied: number;
  /** The latest stamp applied at the snapshot. */
  timeMs: number;
  /** The store's keys at the snapshot, in sending order (shared, never mutated). */
  keys: readonly string[];
  /** Snapshot values of keys written since the snapshot (first write saves them). */
  before: Map<string, string>;
  /** The at-most-once table at the snapshot (shared, never mutated). */
  table: readonly (readonly [Address, Session])[];
  /** Where each chunk cut so far starts in the stream; the next start follows the last one cut. */
  chunkStarts: number[];
  /** The number of chunks, once the last one has been cut. */
  chunkCount: number | null;
  /** Chunks the backup holds (from its cumulative acks). */
  acked: number;
  /** The next chunk to send in this round (a resend round starts again at `acked`). */
  nextToSend: number;
  /** Ping intervals since an ack last moved `acked` on: chunks are resent only after a quiet one. */
  quietTicks: number;
}

/** Backup: the chunks of the primary's snapshot received so far, in order. */
export interface IncomingTransfer {
  applied: number;
  timeMs: number;
  received: number;
  store: KvStore;
  lastByClient: Map<Address, Session>;
  /** Forwards after the snapshot are held (in `buffered`) contiguously up to this position. */
  heldUpTo: number;
  /** Characters of keys and values held, bounded by heldForwardCharsMax. */
  heldChars: number;
}

/** The snapshot of `app`, its at-most-once table included. */
export function startOutgoing(app: App): OutgoingTransfer {
  return {
    applied: app.applied,
    timeMs: app.timeMs,
    keys: [...app.store.keys()],
    before: new Map(),
    table: [...app.lastByClient.entries()],
    chunkStarts: [0],
    chunkCount: null,
    acked: 0,
    nextToSend: 0,
    quietTicks: 0,
  };
}

/** Call before the primary applies a write to `key` while a transfer is out. */
export function saveSnapshotValue(outgoing: OutgoingTransfer, store: KvStore, key: string): void {
  if (outgoing.before.has(key)) return;
  const value = store.get(key);
  // A key created after the snapshot is not in `keys`; nothing to save.
  if (value !== undefined) outgoing.before.set(key, value);
}

/** Chunk `chunk` (cut now if it is the first time), as the body fields of a StateTransfer. */
export function chunkAt(outgoing: OutgoingTransfer, store: KvStore, chunk: number): TransferChunk {
  assert(chunk < outgoing.chunkStarts.length, "chunks are cut in order");
  const start = outgoing.chunkStarts[chunk]!;
  const kv: [string, string][] = [];
  const lastByClient: [Address, Session][] = [];
  const streamLength = outgoing.keys.length + outgoing.table.length;
  let bytes = 0;
  let end = start;
  for (; end < streamLength && kv.length + lastByClient.length < chunkEntriesMax; end++) {
    const entry = streamEntry(outgoing, store, end);
    const size = entryBytes(entry.key, entry.value);
    if (end > start && bytes + size > batchBytesMax) break;
    bytes += size;
    if (entry.last === undefined) kv.push([entry.key, entry.value]);
    else lastByClient.push([entry.key, { ...entry.last }]);
  }
  const last = end === streamLength;
  if (chunk + 1 === outgoing.chunkStarts.length && !last) outgoing.chunkStarts.push(end);
  if (last) outgoing.chunkCount = chunk + 1;
  return { applied: outgoing.applied, timeMs: outgoing.timeMs, chunk, last, kv, lastByClient };
}

function streamEntry(
  outgoing: OutgoingTransfer,
  store: KvStore,
  position: number,
): { key: string; value: string; last?: Session } {
  if (position < outgoing.keys.length) {
    const key = outgoing.keys[position]!;
    const value = outgoing.before.get(key) ?? store.get(key);
    assert(value !== undefined, "a snapshot key is never removed");
    return { key, value };
  }
  const [client, last] = outgoing.table[position - outgoing.keys.length]!;
  return { key: client, value: "", last };
}

/**
 * The backup takes `chunk` if it is the next one of the snapshot it is
 * receiving (a chunk 0 of another snapshot starts over). Returns the
 * transfer as it stands, and the application once the last chunk is in.
 */
export function receiveChunk(
  incoming: IncomingTransfer | null,
  chunk: TransferChunk,
): { incoming: IncomingTransfer | null; installed: App | null } {
  let current = incoming;
  if (current === null || current.applied !== chunk.applied) {
    if (chunk.chunk !== 0) return { incoming, installed: null };
    current = {
      applied: chunk.applied,
      timeMs: chunk.timeMs,
      received: 0,
      store: new Map(),
      lastByClient: new Map(),
      heldUpTo: chunk.applied,
      heldChars: 0,
    };
  }
  if (chunk.chunk !== current.received) return { incoming: current, installed: null };
  for (const [key, value] of chunk.kv) current.store.set(key, value);
  for (const [client, last] of chunk.lastByClient) current.lastByClient.set(client, { ...last });
  current.received += 1;
  if (!chunk.last) return { incoming: current, installed: null };
  const installed: App = {
    applied: current.applied,
    timeMs: current.timeMs,
    store: current.store,
    lastByClient: current.lastByClient,
  };
  return { incoming: null, installed };
}
