import type { Address } from "../schemas/address.js";
import type { Op } from "../schemas/op.js";
import type { AppSnapshot } from "../schemas/snapshot.js";
import { executeOp, type KvStore } from "./store.js";

export interface LastResult {
  seq: number;
  value: string;
}

/**
 * The application wrapped in an at-most-once layer (DSLabs' AMOApplication):
 * each client's last sequence number and its result, so a retried request is
 * answered from the table instead of executed again. `applied` counts log
 * positions, executed or not, so primary and backup agree on positions.
 */
export interface App {
  applied: number;
  store: KvStore;
  lastByClient: Map<Address, LastResult>;
}

export function emptyApp(): App {
  return { applied: 0, store: new Map(), lastByClient: new Map() };
}

/** The cached result when `seq` is the client's last executed request; undefined otherwise. */
export function cachedResult(app: App, client: Address, seq: number): LastResult | undefined {
  const last = app.lastByClient.get(client);
  return last !== undefined && last.seq === seq ? last : undefined;
}

/** True when `seq` (or a later request) of this client already ran. */
export function alreadyExecuted(app: App, client: Address, seq: number): boolean {
  const last = app.lastByClient.get(client);
  return last !== undefined && last.seq >= seq;
}

/**
 * Apply the next log position. A request that already ran is not run again;
 * an old one (seq below the last) gets "" since its client has moved on.
 */
export function applyOnce(app: App, client: Address, seq: number, op: Op): string {
  app.applied += 1;
  const last = app.lastByClient.get(client);
  if (last !== undefined && last.seq >= seq) return last.seq === seq ? last.value : "";
  const value = executeOp(app.store, op);
  app.lastByClient.set(client, { seq, value });
  return value;
}

export function snapshotApp(app: App, options: { withAtMostOnce?: boolean } = {}): AppSnapshot {
  const withAtMostOnce = options.withAtMostOnce ?? true;
  return {
    applied: app.applied,
    kv: [...app.store.entries()].sort(compareEntries),
    lastByClient: withAtMostOnce
      ? [...app.lastByClient.entries()].sort(compareEntries).map(([c, r]) => [c, { ...r }])
      : [],
  };
}

export function restoreApp(snapshot: AppSnapshot): App {
  return {
    applied: snapshot.applied,
    store: new Map(snapshot.kv),
    lastByClient: new Map(snapshot.lastByClient.map(([c, r]) => [c, { ...r }])),
  };
}

function compareEntries<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
