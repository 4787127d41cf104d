// The snapshot stream of a state transfer (DESIGN §4.1): chunks bounded in
// bytes and entries, the same chunk when resent even after writes, and a
// backup that takes chunks in order only.
import { describe, expect, it } from "vitest";
import { chunkAt, receiveChunk, saveSnapshotValue, startOutgoing } from "../../src/kv/transfer.js";
import { emptyApp } from "../../src/kv/atMostOnce.js";
import { batchBytesMax, chunkEntriesMax, encodedBytes } from "../../src/schemas/limits.js";
import type { TransferChunk } from "../../src/schemas/snapshot.js";

function appWith(keys: number, valueBytes: number) {
  const app = emptyApp();
  for (let i = 0; i < keys; i++) app.store.set(`k${i}`, "v".repeat(valueBytes));
  app.lastByClient.set("client-a", { id: 1, seq: 3, refused: false, answer: "", activeMs: 0 });
  app.applied = keys;
  return app;
}

function allChunks(outgoing: ReturnType<typeof startOutgoing>, store: Map<string, string>): TransferChunk[] {
  const chunks: TransferChunk[] = [];
  for (let i = 0; outgoing.chunkCount === null || i < outgoing.chunkCount; i++)
    chunks.push(chunkAt(outgoing, store, i));
  return chunks;
}

describe("state transfer chunks", () => {
  it("cuts the snapshot into chunks of at most batchBytesMax, keys then the at-most-once table", () => {
    const app = appWith(1_000, 1_000);
    const chunks = allChunks(startOutgoing(app), app.store);
    expect(chunks.length).toBeGreaterThan(1_000_000 / batchBytesMax);
    for (const chunk of chunks) {
      const bytes = chunk.kv.reduce((sum, [key, value]) => sum + encodedBytes(key) + encodedBytes(value), 0);
      expect(bytes).toBeLessThanOrEqual(batchBytesMax);
      expect(chunk.kv.length + chunk.lastByClient.length).toBeLessThanOrEqual(chunkEntriesMax);
    }
    expect(chunks.map((chunk) => chunk.last)).toEqual(chunks.map((_, i) => i === chunks.length - 1));
    expect(chunks.flatMap((chunk) => chunk.kv).length).toBe(1_000);
    expect(chunks.at(-1)!.lastByClient).toEqual([
      ["client-a", { id: 1, seq: 3, refused: false, answer: "", activeMs: 0 }],
    ]);
  });

  it("an empty store is one last chunk; a value larger than a chunk's budget travels alone", () => {
    const empty = emptyApp();
    expect(allChunks(startOutgoing(empty), empty.store)).toEqual([
      { applied: 0, timeMs: 0, chunk: 0, last: true, kv: [], lastByClient: [] },
    ]);
    const app = appWith(3, batchBytesMax * 2);
    const chunks = allChunks(startOutgoing(app), app.store);
    expect(chunks.map((chunk) => chunk.kv.length)).toEqual([1, 1, 1, 0]); // then the table entry
  });

  it("a resent chunk is the same chunk, whatever the primary wrote since the snapshot", () => {
    const app = appWith(100, 10_000);
    const outgoing = startOutgoing(app);
    const first = allChunks(outgoing, app.store);
    for (const key of ["k0", "k50", "k99"]) {
      saveSnapshotValue(outgoing, app.store, key);
      app.store.set(key, "changed");
    }
    saveSnapshotValue(outgoing, app.store, "new");
    app.store.set("new", "after the snapshot");
    expect(first.map((_, i) => chunkAt(outgoing, app.store, i))).toEqual(first);
  });

  it("the backup takes chunks in order only, and installs after the last", () => {
    const app = appWith(100, 10_000);
    const chunks = allChunks(startOutgoing(app), app.store);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    let state = receiveChunk(null, chunks[1]!); // chunk 1 before chunk 0: ignored
    expect(state.incoming).toBeNull();
    state = receiveChunk(state.incoming, chunks[0]!);
    state = receiveChunk(state.incoming, chunks[0]!); // a duplicate: ignored
    state = receiveChunk(state.incoming, chunks[2]!); // ahead of a gap: ignored
    expect(state.incoming!.received).toBe(1);
    for (const chunk of chunks.slice(1)) state = receiveChunk(state.incoming, chunk);
    expect(state.installed).not.toBeNull();
    expect([...state.installed!.store]).toEqual([...app.store]);
    expect([...state.installed!.lastByClient]).toEqual([...app.lastByClient]);
    expect(state.installed!.applied).toBe(100);
  });
});
