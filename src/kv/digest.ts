import type { App, Session } from "./atMostOnce.js";

// A digest of the application (store and session table) for the checks that
// compare replicas: cheap to recompute after every event, since each key's
// hash is remembered until its value object changes.

/** FNV-1a over a string, 32 bits. */
function fnv(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * Each key's and session's hash, remembered by the object it was computed
 * from (strings and sessions are replaced, never changed), so a digest after
 * an event hashes only what the event wrote: a node publishes one per event.
 */
const hashCache = new WeakMap<
  App,
  { store: Map<string, Cached<string>>; table: Map<string, Cached<Session>> }
>();

interface Cached<T> {
  of: T;
  hash: number;
}

function cachedHash<T>(cache: Map<string, Cached<T>>, key: string, of: T, hashOf: () => number): number {
  const known = cache.get(key);
  if (known !== undefined && known.of === of) return known.hash;
  const hash = hashOf();
  cache.set(key, { of, hash });
  return hash;
}

/** An order-free digest of the store and the table: a backup installs keys in the snapshot's order. */
export function digestOfApp(app: App): string {
  let cache = hashCache.get(app);
  if (cache === undefined) hashCache.set(app, (cache = { store: new Map(), table: new Map() }));
  let storeSum = 0;
  for (const [key, value] of app.store)
    storeSum = (storeSum + cachedHash(cache.store, key, value, () => fnv(value, fnv(key, 0x811c9dc5)))) >>> 0;
  let tableSum = 0;
  for (const [client, session] of app.lastByClient) {
    const record = () =>
      fnv(
        `${client}\u0000${session.id}\u0000${session.seq}\u0000${session.refused}\u0000${session.answer}`,
        0x811c9dc5,
      );
    tableSum = (tableSum + cachedHash(cache.table, client, session, record)) >>> 0;
  }
  // Keys and sessions gone since: dropped, so the cache stays the size of the app.
  if (cache.store.size > app.store.size)
    for (const key of cache.store.keys()) if (!app.store.has(key)) cache.store.delete(key);
  if (cache.table.size > app.lastByClient.size)
    for (const client of cache.table.keys()) if (!app.lastByClient.has(client)) cache.table.delete(client);
  return `${app.store.size}:${storeSum.toString(16)}/${app.lastByClient.size}:${tableSum.toString(16)}`;
}
