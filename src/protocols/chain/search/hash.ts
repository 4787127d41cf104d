import type { TimerBase } from "../../../schemas/envelope.js";
import type { View } from "../../../schemas/view.js";
import { hashApp, hashIncoming, hashLogEntry, hashOutgoing } from "../../../search/appHash.js";
import { type Hasher, hashOp, hashView, mapSums } from "../../../search/hash.js";
import type { ChainClientState } from "../client.js";
import type { MasterState } from "../master.js";
import type { ChainEntry } from "../messages.js";
import type { ChainServerState, PendingRead } from "../state.js";
import type { ChainTimer } from "../timers.js";

// Canonical hashes of chain replication's actor states for the model
// checker's visited set and slot interning (src/search/hash.ts says why per
// type). Equal states hash equal: Maps (holders, the master's server
// records, buffered positions) are hashed order-free (mapSums). Arrays whose
// order decides anything are hashed in order: the chain, the Sent list and
// the reads waiting (answered in that order).
// `assertKnownShape` (clone.ts) fails loudly when a state gains a field
// these do not know.

const nullWord = 0x6e756c6c;
const noJoinerWord = 0x6e6f6a6e;

/** A chain view: hashView's fields, then the chain in order and the joining server. */
export function hashChainView(h: Hasher, view: View): void {
  hashView(h, view);
  const chain = view.chain ?? [];
  h.num(chain.length);
  for (const member of chain) h.str(member);
  if (view.joining === undefined) h.word(noJoinerWord);
  else h.str(view.joining);
}

function hashHolders(h: Hasher, holders: ReadonlyMap<string, number>): void {
  mapSums(h, holders, (e, address, incarnation) => {
    e.str(address);
    e.num(incarnation);
  });
}

function hashEntries(h: Hasher, entries: readonly ChainEntry[]): void {
  h.num(entries.length);
  for (const entry of entries) hashLogEntry(h, entry);
}

function hashReads(h: Hasher, reads: readonly PendingRead[]): void {
  h.num(reads.length);
  for (const read of reads) {
    h.str(read.client);
    h.num(read.seq);
    h.str(read.key);
  }
}

export function hashChainServerState(h: Hasher, state: ChainServerState): void {
  h.num(state.incarnation);
  hashChainView(h, state.view);
  hashHolders(h, state.holders);
  h.num(state.ackedViewNum);
  h.str(state.place);
  hashApp(h, state.app);
  hashEntries(h, state.sent);
  h.num(state.sentBase);
  h.num(state.forwardedUpTo);
  h.num(state.successorHolds);
  h.num(state.inFlightEnds.length);
  for (const end of state.inFlightEnds) h.num(end);
  h.num(state.quietTicks);
  h.num(state.stable);
  h.num(state.handoverAt ?? -1);
  mapSums(h, state.buffered, (e, index, entry) => {
    e.num(index);
    hashLogEntry(e, entry);
  });
  hashOutgoing(h, state.outgoing);
  h.num(state.joinerIncarnation ?? -1);
  hashIncoming(h, state.incoming);
  h.num(state.snapshotAt ?? -1);
  hashReads(h, state.reads);
  if (state.check === null) h.word(nullWord);
  else {
    h.num(state.check.id);
    hashReads(h, state.check.reads);
    h.num(state.check.ticks);
  }
  h.num(state.nextCheckId);
}

export function hashMasterState(h: Hasher, state: MasterState): void {
  hashChainView(h, state.view);
  h.bool(state.tailAcked);
  hashHolders(h, state.holders);
  mapSums(h, state.servers, (e, address, record) => {
    e.str(address);
    e.num(record.incarnation);
    e.bool(record.pingedSinceCheck);
    e.bool(record.handedOver);
  });
}

export function hashChainClientState(h: Hasher, state: ChainClientState): void {
  if (state.view === null) h.word(0x6e6f7677);
  else hashChainView(h, state.view);
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

export function hashChainTimer(h: Hasher, base: TimerBase): void {
  const timer = base as ChainTimer;
  h.str(timer.type);
  if (timer.type === "ClientRetryTimer") h.num(timer.seq);
}
