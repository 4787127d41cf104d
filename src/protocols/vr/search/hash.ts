import type { TimerBase } from "../../../schemas/envelope.js";
import { type Hasher, hashOp } from "../../../search/hash.js";
import { hashApp, hashIncoming, hashLogEntry, hashOutgoing } from "../../../search/appHash.js";
import type { VrClientState } from "../client.js";
import type { VrEntry, VrTimer } from "../messages.js";
import type { OperatorState } from "../operator.js";
import type { Fetch, Pending, ReplicaState, ViewChangeVote } from "../state.js";

// Canonical hashes of VR's actor states for the model checker's visited set
// and slot interning (src/search/hash.ts says why per type). Equal states
// hash equal: Maps are hashed order-free (mapSums), and so are the arrays
// the replica only asks "who is in it" of (startViewChanges,
// recoveryResponses). Arrays whose order decides anything are hashed in
// order: the log, pending requests, and votes (bestVote keeps the first of
// equal votes). `assertKnownShape` (clone.ts) fails loudly when a state
// gains a field these do not know.

const nullWord = 0x6e756c6c;

/** A log entry or a queued request: the application's through hashLogEntry, VR's own here. */
function hashEntry(h: Hasher, entry: VrEntry | Pending): void {
  if (entry.type === "reconfig") {
    h.str(entry.type);
    if ("atMs" in entry) {
      h.num(entry.atMs);
      h.num(entry.epoch);
      h.num(entry.startView);
    }
    return hashMembers(h, entry.members);
  }
  if (entry.type === "check") {
    h.str(entry.type);
    if ("atMs" in entry) h.num(entry.atMs);
    h.str(entry.client);
    return h.num(entry.seq);
  }
  hashLogEntry(h, entry);
}

function hashMembers(h: Hasher, members: readonly number[]): void {
  h.num(members.length);
  for (const member of members) h.num(member);
}

function hashEntries(h: Hasher, entries: readonly (VrEntry | Pending)[]): void {
  h.num(entries.length);
  for (const entry of entries) hashEntry(h, entry);
}

function hashFetch(h: Hasher, fetch: Fetch | null): void {
  if (fetch === null) return h.word(nullWord);
  h.str(fetch.purpose);
  h.num(fetch.source);
  h.num(fetch.viewNum);
  hashApp(h, fetch.base);
  h.num(fetch.after);
  hashEntries(h, fetch.entries);
  h.num(fetch.commitNumber);
  h.num(fetch.goal ?? -1);
  hashIncoming(h, fetch.incoming);
  h.num(fetch.quietTicks);
}

function hashVote(h: Hasher, vote: ViewChangeVote): void {
  h.num(vote.from);
  h.num(vote.lastNormal);
  h.num(vote.opNumber);
  h.num(vote.commitNumber);
  h.num(vote.after);
  hashEntries(h, vote.entries);
}

/** A set of replica indexes (at most 9) as a bit mask: arrival order does not count. */
function indexMask(indexes: readonly number[]): number {
  let mask = 0;
  for (const index of indexes) mask |= 1 << index;
  return mask;
}

/** One answer per replica (a newer one replaces it): hashed in replica order, whatever the arrival order. */
function hashRecoveryResponses(h: Hasher, state: ReplicaState): void {
  h.num(state.recoveryResponses.length);
  for (let from = 0; from < state.acked.length; from++) {
    const response = state.recoveryResponses.find((candidate) => candidate.from === from);
    if (response === undefined) continue;
    h.num(from);
    h.num(response.viewNum);
    h.bool(response.recovering);
    h.bool(response.normalNow);
    h.bool(response.pending);
  }
}

export function hashReplicaState(h: Hasher, state: ReplicaState): void {
  h.num(state.self);
  h.num(state.slots);
  h.num(state.epoch);
  hashMembers(h, state.members);
  h.pair(state.epochStart.op, state.epochStart.view);
  hashMembers(h, state.epochStart.oldMembers);
  h.word(indexMask(state.epochStarted));
  h.num(state.viewNum);
  h.str(state.status);
  h.num(state.lastNormal);
  h.num(state.opNumber);
  h.num(state.commitNumber);
  hashEntries(h, state.log);
  h.num(state.logStart);
  hashApp(h, state.app);
  hashOutgoing(h, state.outgoing);
  h.num(state.pinnedTicks);
  h.num(state.acked.length);
  for (const acked of state.acked) h.num(acked);
  h.num(state.prepared.length);
  for (const batch of state.prepared) h.pair(batch.end, batch.bytes);
  h.num(state.preparedAtLastTick);
  hashEntries(h, state.pending);
  h.num(state.awaitingEpoch.length);
  for (const client of state.awaitingEpoch) h.str(client);
  h.num(state.silentTicks);
  h.word(indexMask(state.startViewChanges));
  h.num(state.votes.length);
  for (const vote of state.votes) hashVote(h, vote);
  hashFetch(h, state.fetch);
  h.num(state.nonce);
  hashRecoveryResponses(h, state);
  h.num(state.expiryCheckIn);
}

export function hashVrClientState(h: Hasher, state: VrClientState): void {
  h.num(state.epoch);
  hashMembers(h, state.members);
  h.num(state.retries);
  h.num(state.bounces);
  h.num(state.viewNum);
  h.num(state.seq);
  if (state.current === null) h.word(0x69646c65);
  else {
    h.num(state.current.seq);
    hashOp(h, state.current.op);
  }
  h.num(state.session ?? -1);
  h.num(state.sessionHeardMs);
  h.bool(state.heard);
}

export function hashOperatorState(h: Hasher, state: OperatorState): void {
  h.num(state.epoch);
  hashMembers(h, state.members);
  h.num(state.viewNum);
  h.num(state.seq);
  if (state.current === null) h.word(nullWord);
  else {
    hashMembers(h, state.current.members);
    h.num(state.current.from);
    h.str(state.current.phase);
  }
  h.num(state.done);
  h.num(state.idleTicks);
  h.str(state.refused ?? "");
}

export function hashVrTimer(h: Hasher, base: TimerBase): void {
  const timer = base as VrTimer;
  h.str(timer.type);
  if (timer.type === "ClientRetryTimer") h.num(timer.seq);
}
