import type { App, Session } from "../../../kv/atMostOnce.js";
import type { TimerBase } from "../../../schemas/envelope.js";
import { type Hasher, hashOp, hashView, mapSums } from "../../../search/hash.js";
import type { ClientState } from "../client.js";
import type { ForwardEntry } from "../messages.js";
import type { ServerState } from "../server.js";
import type { Timer } from "../timers.js";
import type { IncomingTransfer, OutgoingTransfer } from "../../../kv/transfer.js";
import type { ViewServerState } from "../viewServer.js";

// Canonical hashes of pb's actor states for the model checker's visited set,
// written per state type (src/search/hash.ts says why). `assertKnownShape`
// (clone.ts) fails loudly when an actor gains a field these do not know.

function hashEntry(h: Hasher, entry: ForwardEntry): void {
  h.str(entry.type);
  h.num(entry.atMs);
  if (entry.type === "expire") return h.num(entry.beforeMs);
  h.str(entry.client);
  h.num(entry.seq);
  if (entry.type === "op") {
    h.num(entry.session);
    hashOp(h, entry.op);
  }
}

function hashSession(h: Hasher, client: string, session: Session): void {
  h.str(client);
  h.num(session.id);
  h.num(session.seq);
  h.bool(session.refused);
  h.num(session.activeMs);
}

function hashApp(h: Hasher, app: App | null): void {
  if (app === null) return h.word(0x6e6f6170);
  h.num(app.applied);
  h.num(app.timeMs);
  mapSums(h, app.store, (e, key, value) => {
    e.str(key);
    e.str(value);
  });
  mapSums(h, app.lastByClient, hashSession);
}

function hashOutgoing(h: Hasher, outgoing: OutgoingTransfer | null): void {
  if (outgoing === null) return h.word(0x6e6f6f75);
  h.num(outgoing.applied);
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

function hashIncoming(h: Hasher, incoming: IncomingTransfer | null): void {
  if (incoming === null) return h.word(0x6e6f696e);
  const { applied, timeMs, store, lastByClient } = incoming;
  hashApp(h, { applied, timeMs, store, lastByClient });
  h.num(incoming.received);
  h.num(incoming.heldUpTo);
  h.num(incoming.heldChars);
}

export function hashServerState(h: Hasher, state: ServerState): void {
  h.num(state.incarnation);
  hashView(h, state.view);
  h.str(state.role);
  h.num(state.ackedViewNum);
  hashApp(h, state.app);
  h.bool(state.transferAcked);
  h.num(state.backupIncarnation ?? -1);
  hashOutgoing(h, state.outgoing);
  hashIncoming(h, state.incoming);
  h.num(state.pending.length);
  for (const entry of state.pending) hashEntry(h, entry);
  h.num(state.inFlightEnds.length);
  for (const end of state.inFlightEnds) h.num(end);
  h.num(state.sentUpTo);
  mapSums(h, state.buffered, (e, index, entry) => {
    e.num(index);
    hashEntry(e, entry);
  });
}

export function hashViewServerState(h: Hasher, state: ViewServerState): void {
  hashView(h, state.view);
  h.bool(state.primaryAcked);
  h.num(state.primaryIncarnation ?? -1);
  h.num(state.backupIncarnation ?? -1);
  mapSums(h, state.servers, (e, address, record) => {
    e.str(address);
    e.num(record.incarnation);
    e.bool(record.pingedSinceCheck);
  });
}

export function hashClientState(h: Hasher, state: ClientState): void {
  if (state.view === null) h.word(0x6e6f7677);
  else hashView(h, state.view);
  h.num(state.seq);
  if (state.current === null) h.word(0x69646c65);
  else {
    h.num(state.current.seq);
    hashOp(h, state.current.op);
  }
  h.bool(state.viewRequested);
  h.num(state.session ?? -1);
  h.num(state.sessionHeardMs);
}

export function hashTimer(h: Hasher, base: TimerBase): void {
  const timer = base as Timer;
  h.str(timer.type);
  if (timer.type === "ClientRetryTimer") h.num(timer.seq);
}
