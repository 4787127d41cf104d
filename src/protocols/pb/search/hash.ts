import type { TimerBase } from "../../../schemas/envelope.js";
import { type Hasher, hashOp, hashView, mapSums } from "../../../search/hash.js";
import { hashApp, hashIncoming, hashLogEntry, hashOutgoing } from "../../../search/appHash.js";
import type { ClientState } from "../client.js";
import type { ServerState } from "../server.js";
import type { Timer } from "../timers.js";
import type { ViewServerState } from "../viewServer.js";

// Canonical hashes of pb's actor states for the model checker's visited set,
// written per state type (src/search/hash.ts says why). `assertKnownShape`
// (clone.ts) fails loudly when an actor gains a field these do not know.

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
  for (const entry of state.pending) hashLogEntry(h, entry);
  h.num(state.inFlightEnds.length);
  for (const end of state.inFlightEnds) h.num(end);
  h.num(state.sentUpTo);
  h.num(state.sentUpToLastTick);
  mapSums(h, state.buffered, (e, index, entry) => {
    e.num(index);
    hashLogEntry(e, entry);
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
