import type { Address } from "../schemas/address.js";
import { sessionsMax } from "../schemas/limits.js";
import type { Op } from "../schemas/op.js";
import { executeOp, type KvStore, type OpResult } from "./store.js";

// The application wrapped in an at-most-once layer of client sessions, after
// the Raft dissertation §6.3. A client opens a session (a `register` entry)
// before its first operation; the table keeps, per session, the client's last
// write (its number and whether it was refused; gets are not kept, a read can
// safely run again) and when the session was last active. Sessions are
// forgotten when idle too long (an `expire` entry) or, past sessionsMax, the
// least recently active first. A request of a session the table does not hold
// is refused with SessionExpired, never executed: its client cannot tell
// whether an earlier attempt ran, and records the operation as unknown.
//
// Every decision here is taken at a log position from what the entry carries
// (the primary stamps its clock into every entry), never from a replica's own
// clock, so primary and backup hold the same table.

/** One client's session. */
export interface Session {
  /**
   * The log position that opened it. Requests name their session by it, so
   * a session opened again after it expired is another one, and a request of
   * the old one, however late, is refused rather than run again.
   */
  id: number;
  /** The client's last executed write (0: none yet), whether it was refused, and what it answered. */
  seq: number;
  refused: boolean;
  /** "" for a put, the value's new length for an append: a retry gets the first answer again. */
  answer: string;
  /** The stamp of the last entry of this session: what expiry measures. */
  activeMs: number;
}

/**
 * The application state. `applied` counts log positions, executed or not, so
 * primary and backup agree on positions; `timeMs` is the latest stamp applied
 * (a new primary stamps nothing earlier). `lastByClient` is the session table,
 * in order of last activity, least recent first (stamps never go back).
 */
export interface App {
  applied: number;
  timeMs: number;
  store: KvStore;
  lastByClient: Map<Address, Session>;
}

/** A log position as the primary forwards it, stamped with its clock (`atMs`). */
export type LogEntry =
  | { type: "op"; client: Address; session: number; seq: number; op: Op; atMs: number }
  | { type: "register"; client: Address; seq: number; atMs: number }
  /** Forget the sessions last active before `beforeMs` (the primary's stamp minus the expiry). */
  | { type: "expire"; beforeMs: number; atMs: number };

/** What applying an entry answers: the operation's result, SessionExpired, or a register's session id. */
export type EntryResult = OpResult | { ok: false; error: "SessionExpired" } | { ok: true; session: number };

export function emptyApp(): App {
  return { applied: 0, timeMs: 0, store: new Map(), lastByClient: new Map() };
}

/** The client's session, if the table holds it under this id. */
export function sessionOf(app: App, client: Address, id: number): Session | undefined {
  const session = app.lastByClient.get(client);
  return session !== undefined && session.id === id ? session : undefined;
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

/** Apply the next log position. */
/**
 * A log position the application does not see (VR's reconfiguration entry):
 * it is counted, so `applied` stays the log position, and its stamp moves the
 * clock as any entry's does; the store and the sessions stay as they are.
 */
export function countEntry(app: App, atMs: number): void {
  app.applied += 1;
  app.timeMs = Math.max(app.timeMs, atMs);
}

export function applyEntry(app: App, entry: LogEntry): EntryResult {
  app.applied += 1;
  app.timeMs = Math.max(app.timeMs, entry.atMs);
  switch (entry.type) {
    case "op":
      return applyOp(app, entry);
    case "register":
      return { ok: true, session: openSession(app, entry.client, app.timeMs) };
    case "expire":
      expireSessions(app, entry.beforeMs);
      return { ok: true, value: "" };
  }
}

/**
 * A write that already ran is not run again; an old one (seq below the last
 * write) gets "" since its client has moved on.
 */
function applyOp(app: App, entry: Extract<LogEntry, { type: "op" }>): EntryResult {
  const { client, seq, op } = entry;
  const session = sessionOf(app, client, entry.session);
  if (session === undefined) return { ok: false, error: "SessionExpired" };
  if (session.seq >= seq) {
    touch(app, client, session);
    return session.seq === seq && op.f !== "get" ? resultOf(session) : { ok: true, value: "" };
  }
  const result = executeOp(app.store, op);
  if (op.f === "get") touch(app, client, session);
  else {
    const answer = result.ok ? result.value : "";
    touch(app, client, { id: session.id, seq, refused: !result.ok, answer, activeMs: session.activeMs });
  }
  return result;
}

/** Opens the client's session, or finds the one it has (a register retried); returns its id. */
function openSession(app: App, client: Address, nowMs: number): number {
  const existing = app.lastByClient.get(client);
  if (existing !== undefined) {
    touch(app, client, existing);
    return existing.id;
  }
  // Full: the least recently active session goes (its client's next request is refused, never run twice).
  if (app.lastByClient.size >= sessionsMax) app.lastByClient.delete(app.lastByClient.keys().next().value!);
  app.lastByClient.set(client, { id: app.applied, seq: 0, refused: false, answer: "", activeMs: nowMs });
  return app.applied;
}

/**
 * Marks the session active now and moves it to the back of the table (the
 * most recently active). A new object: a session is replaced, never changed.
 */
function touch(app: App, client: Address, session: Session): void {
  app.lastByClient.delete(client);
  const { id, seq, refused, answer } = session;
  app.lastByClient.set(client, { id, seq, refused, answer, activeMs: app.timeMs });
}

/** The table is in order of activity: forgetting stops at the first session active since `beforeMs`. */
function expireSessions(app: App, beforeMs: number): void {
  for (const [client, session] of app.lastByClient) {
    if (session.activeMs >= beforeMs) return;
    app.lastByClient.delete(client);
  }
}

/** The stamp of the least recently active session (undefined: no session). */
export function oldestActivityMs(app: App): number | undefined {
  return app.lastByClient.values().next().value?.activeMs;
}

function resultOf(last: Session): OpResult {
  return last.refused ? { ok: false, error: "ValueTooLarge" } : { ok: true, value: last.answer };
}

/** A copy that shares no mutable part with `app` (values are immutable strings, sessions replaced on change). */
export function copyApp(app: App): App {
  return {
    applied: app.applied,
    timeMs: app.timeMs,
    store: new Map(app.store),
    lastByClient: new Map(app.lastByClient),
  };
}
