import { receiveChunk, chunkAt, startOutgoing } from "../../kv/transfer.js";
import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import { appendSlice, executeCommitted, installBase, sliceAfter } from "./log.js";
import type { BodyOf } from "./messages.js";
import { replicaAddress } from "./members.js";
import { type Fetch, isPrimary, type ReplicaState } from "./state.js";
import { toReplica, withEpoch } from "./wire.js";

// State transfer (the paper's §5.2 with a bounded log; docs/VR.md): a replica
// asks one source for the log after the point it holds, one slice per
// request; a source that dropped that part of its log sends its snapshot of its
// application in chunks first (taken once, copy-on-write: src/kv/transfer.ts). Entries up to the source's commit-number are committed, the
// same at every replica, so any source may give them; the entries after it
// only the normal primary of the view being fetched may give ("complete").
// A new member of an epoch fetches the committed log up to the epoch's start
// from any replica that holds it, old or new: it moves to the next one when
// its source has nothing new to give.

/** How long a snapshot being sent stays, in ticks after the last chunk asked. */
const pinTicks = 25;

export function startFetch(
  state: ReplicaState,
  purpose: Fetch["purpose"],
  source: number,
  goal: number | null,
  ctx: Context,
): void {
  state.fetch = {
    purpose,
    source,
    viewNum: state.viewNum,
    base: null,
    after: purpose === "catchUp" ? state.opNumber : state.commitNumber,
    entries: [],
    commitNumber: 0,
    goal,
    incoming: null,
    quietTicks: 0,
  };
  requestState(state, ctx);
}

/** The op-number the fetched state reaches so far. */
function fetchedUpTo(state: ReplicaState, fetch: Fetch): number {
  return fetch.purpose === "catchUp" ? state.opNumber : fetch.after + fetch.entries.length;
}

export function requestState(state: ReplicaState, ctx: Context): void {
  const fetch = state.fetch;
  if (fetch === null) return;
  const incoming = fetch.incoming;
  toReplica(state, ctx, fetch.source, {
    type: "GetState",
    after: fetchedUpTo(state, fetch),
    snapshot: incoming === null ? null : { at: incoming.applied, chunk: incoming.received },
  });
}

/** Source: the log after the asker's point, or the next chunk of a snapshot when that part is dropped. */
export function onGetState(
  state: ReplicaState,
  body: BodyOf<"GetState">,
  message: Message,
  ctx: Context,
): void {
  if (state.status === "recovering") return;
  if (body.after < state.logStart) return sendSnapshotChunk(state, body, message, ctx);
  const complete = state.status === "normal" && isPrimary(state) && message.viewNum === state.viewNum;
  const upTo = complete ? state.opNumber : state.commitNumber;
  if (body.after > upTo)
    return ctx.log.debug({ from: message.from }, "GetState beyond what this replica gives");
  const slice = sliceAfter(state, body.after, upTo);
  const answer = { type: "NewState", upTo, commitNumber: state.commitNumber, complete, ...slice } as const;
  ctx.send(message.from, withEpoch(state.epoch, answer));
}

/**
 * The snapshot being sent (one for every asker), or a new one of the
 * application now: the next chunk the asker lacks of it, or its first chunk
 * when the asker holds chunks of another.
 */
function sendSnapshotChunk(
  state: ReplicaState,
  body: BodyOf<"GetState">,
  message: Message,
  ctx: Context,
): void {
  const outgoing = (state.outgoing ??= startOutgoing(state.app));
  const asked = body.snapshot !== null && body.snapshot.at === outgoing.applied ? body.snapshot.chunk : 0;
  // Chunks are cut in order; an asker ahead of the cut (a snapshot replaced meanwhile) starts over.
  const chunk = asked < outgoing.chunkStarts.length ? asked : 0;
  state.pinnedTicks = pinTicks;
  ctx.send(message.from, {
    type: "NewSnapshot",
    epoch: state.epoch,
    ...chunkAt(outgoing, state.app.store, chunk),
  });
}

/** Asker: a chunk of the source's snapshot. */
export function onNewSnapshot(
  state: ReplicaState,
  body: BodyOf<"NewSnapshot">,
  message: Message,
  ctx: Context,
): void {
  const fetch = fromSource(state, message, ctx);
  if (fetch === null) return;
  const { incoming, installed } = receiveChunk(fetch.incoming, body);
  fetch.incoming = incoming;
  if (installed !== null) {
    if (fetch.purpose === "catchUp") {
      installBase(state, installed, []);
      state.commitNumber = installed.applied;
    } else {
      fetch.base = installed;
      fetch.after = installed.applied;
      fetch.entries = [];
    }
  }
  requestState(state, ctx);
}

/** Asker: a slice of the source's log. */
export function onNewState(
  state: ReplicaState,
  body: BodyOf<"NewState">,
  message: Message,
  ctx: Context,
  env: Env,
  done: (state: ReplicaState, ctx: Context) => void,
): void {
  const fetch = fromSource(state, message, ctx);
  if (fetch === null || fetch.incoming !== null) return;
  if (body.after !== fetchedUpTo(state, fetch)) {
    // A catch-up whose replica took entries from a Prepare meanwhile (a delayed one overtaken by
    // the Prepare that showed the gap): the answer starts behind it but holds more. Ask again from
    // where it is now, at once, instead of two ticks later.
    const holdsMore = body.after + body.entries.length > state.opNumber;
    if (fetch.purpose === "catchUp" && body.after < state.opNumber && holdsMore) requestState(state, ctx);
    return;
  }
  fetch.commitNumber = Math.max(fetch.commitNumber, body.commitNumber);
  if (fetch.purpose === "catchUp") {
    appendSlice(state, body);
    state.commitNumber = Math.max(state.commitNumber, Math.min(body.commitNumber, state.opNumber));
    executeCommitted(state, ctx, env);
    // Executing a reconfiguration may have ended this fetch (the replica moved to the next epoch).
    if (state.fetch !== fetch) return;
  } else fetch.entries.push(...body.entries);
  const reached = fetchedUpTo(state, fetch);
  const finished =
    fetch.goal !== null
      ? reached >= fetch.goal
      : body.complete && message.viewNum === fetch.viewNum && reached >= body.upTo;
  if (finished) return done(state, ctx);
  if (reached < body.upTo) return requestState(state, ctx);
  // The source gave all it would (it is not its view's primary now): the tick asks again.
}

/**
 * The fetch under way, if `message` is its source's answer. An answer of an
 * earlier view than the fetched one is stale: it answers an earlier request
 * (this replica's previous life, a delayed copy), and an earlier view's
 * primary gives its uncommitted entries too, which a later view may have
 * replaced. On an open cluster it may also be forged (chaos seed 302: a
 * NewState of view 0 "from" the source took op 1 of a recovering replica's
 * log and cost a client its session). A real source is in the fetched view
 * or a later one: views only rise, and a recovering replica answers nothing.
 */
function fromSource(state: ReplicaState, message: Message, ctx: Context): Fetch | null {
  const fetch = state.fetch;
  if (fetch === null || message.from !== replicaAddress(fetch.source)) return null;
  if (message.viewNum < fetch.viewNum) {
    ctx.log.debug({ from: message.from, viewNum: message.viewNum }, "answer of an earlier view: ignored");
    return null;
  }
  fetch.quietTicks = 0;
  state.silentTicks = 0;
  return fetch;
}

/**
 * Every tick: a fetch without an answer since the last one asks again; a
 * fetch for a new epoch asks the next replica that may hold the state.
 */
export function fetchTick(state: ReplicaState, ctx: Context): void {
  const fetch = state.fetch;
  if (fetch === null) return;
  fetch.quietTicks += 1;
  if (fetch.quietTicks >= 2) {
    fetch.quietTicks = 0;
    if (fetch.purpose === "epoch" && fetch.incoming === null)
      fetch.source = nextEpochSource(state, fetch.source);
    requestState(state, ctx);
  }
}

/** The replica after `source` among the epoch's members and those of the epoch before. */
function nextEpochSource(state: ReplicaState, source: number): number {
  const sources = [...new Set([...state.epochStart.oldMembers, ...state.members])]
    .filter((replica) => replica !== state.self)
    .sort((a, b) => a - b);
  if (sources.length === 0) return source;
  return sources.find((replica) => replica > source) ?? sources[0]!;
}

/**
 * The fetched log becomes the replica's: on a fetched snapshot, or after
 * its own committed entries (which every log that holds them shares).
 */
export function adoptFetched(state: ReplicaState, fetch: Fetch): void {
  if (fetch.base !== null) installBase(state, fetch.base, fetch.entries);
  else {
    state.log = state.log.slice(0, fetch.after - state.logStart).concat(fetch.entries);
    state.opNumber = fetch.after + fetch.entries.length;
  }
  state.commitNumber = Math.max(state.commitNumber, Math.min(fetch.commitNumber, state.opNumber));
}
