import type { App, LogEntry, Session } from "../kv/atMostOnce.js";
import type { IncomingTransfer, OutgoingTransfer } from "../kv/transfer.js";
import { type Hasher, hashOp, mapSums } from "./hash.js";

// Canonical hashes of what every protocol's states hold of the application
// (src/kv/): log entries, sessions, the application itself and its chunked
// transfers. Maps are hashed order-free (mapSums); each kind of absence has
// its own word.

/** A log entry, or a request not yet logged (no stamp). */
export function hashLogEntry(
  h: Hasher,
  entry: LogEntry | { type: "op" | "register"; client: string; seq: number },
): void {
  h.str(entry.type);
  if ("atMs" in entry) h.num(entry.atMs);
  if (entry.type === "expire") return h.num(entry.beforeMs);
  h.str(entry.client);
  h.num(entry.seq);
  if (entry.type === "op" && "op" in entry) {
    h.num(entry.session);
    hashOp(h, entry.op);
  }
}

export function hashSession(h: Hasher, client: string, session: Session): void {
  h.str(client);
  h.num(session.id);
  h.num(session.seq);
  h.bool(session.refused);
  h.str(session.answer);
  h.num(session.activeMs);
}

export function hashApp(h: Hasher, app: App | null): void {
  if (app === null) return h.word(0x6e6f6170);
  h.num(app.applied);
  h.num(app.timeMs);
  mapSums(h, app.store, (e, key, value) => {
    e.str(key);
    e.str(value);
  });
  mapSums(h, app.lastByClient, hashSession);
}

export function hashOutgoing(h: Hasher, outgoing: OutgoingTransfer | null): void {
  if (outgoing === null) return h.word(0x6e6f6f75);
  h.num(outgoing.applied);
  h.num(outgoing.timeMs);
  h.num(outgoing.keys.length);
  for (const key of outgoing.keys) h.str(key);
  mapSums(h, outgoing.before, (e, key, value) => {
    e.str(key);
    e.str(value);
  });
  h.num(outgoing.table.length);
  for (const [client, session] of outgoing.table) hashSession(h, client, session);
  h.num(outgoing.chunkStarts.length);
  for (const start of outgoing.chunkStarts) h.num(start);
  h.num(outgoing.chunkCount ?? -1);
  h.num(outgoing.acked);
  h.num(outgoing.nextToSend);
  h.num(outgoing.quietTicks);
}

export function hashIncoming(h: Hasher, incoming: IncomingTransfer | null): void {
  if (incoming === null) return h.word(0x6e6f696e);
  const { applied, timeMs, store, lastByClient } = incoming;
  hashApp(h, { applied, timeMs, store, lastByClient });
  h.num(incoming.received);
  h.num(incoming.heldUpTo);
  h.num(incoming.heldChars);
}
