import type { Address } from "../schemas/address.js";
import type { Op } from "../schemas/op.js";
import { executeOp, type KvStore, type OpResult } from "./store.js";

/**
 * A client's last executed write: its number and whether it was refused.
 * Results of gets are not kept (a read can safely run again), and a write's
 * result is always "" unless refused, so nothing here grows with values.
 */
export interface LastResult {
  seq: number;
  refused: boolean;
}

/**
 * The application wrapped in an at-most-once layer (DSLabs' AMOApplication):
 * each client's last write, so a retried write is answered from the table
 * instead of executed again. `applied` counts log positions, executed or not,
 * so primary and backup agree on positions.
 */
export interface App {
  applied: number;
  store: KvStore;
  lastByClient: Map<Address, LastResult>;
}

export function emptyApp(): App {
  return { applied: 0, store: new Map(), lastByClient: new Map() };
}

/** The answer to a retried write that already ran; undefined when the op must run (gets always do). */
export function cachedResult(app: App, client: Address, seq: number, op: Op): OpResult | undefined {
  if (op.f === "get") return undefined;
  const last = app.lastByClient.get(client);
  return last !== undefined && last.seq === seq ? resultOf(last) : undefined;
}

/** True when a later write of this client already ran (so `seq` is an old retry its client gave up on). */
export function alreadyExecuted(app: App, client: Address, seq: number, op: Op): boolean {
  const last = app.lastByClient.get(client);
  return last !== undefined && (last.seq > seq || (last.seq === seq && op.f !== "get"));
}

/**
 * Apply the next log position. A write that already ran is not run again; an
 * old one (seq below the last write) gets "" since its client has moved on.
 */
export function applyOnce(app: App, client: Address, seq: number, op: Op): OpResult {
  app.applied += 1;
  const last = app.lastByClient.get(client);
  if (last !== undefined && last.seq >= seq) {
    return last.seq === seq && op.f !== "get" ? resultOf(last) : { ok: true, value: "" };
  }
  const result = executeOp(app.store, op);
  if (op.f !== "get") app.lastByClient.set(client, { seq, refused: !result.ok });
  return result;
}

function resultOf(last: LastResult): OpResult {
  return last.refused ? { ok: false, error: "ValueTooLarge" } : { ok: true, value: "" };
}

/** A copy that shares no mutable part with `app` (values are immutable strings). */
export function copyApp(app: App): App {
  return { applied: app.applied, store: new Map(app.store), lastByClient: new Map(app.lastByClient) };
}
