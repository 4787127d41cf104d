import { alreadyExecuted, cachedResult, oldestActivityMs } from "../../kv/atMostOnce.js";
import type { Address } from "../../schemas/address.js";
import { batchBytesMax } from "../../schemas/limits.js";
import { valueTooLargeReason } from "../../schemas/op.js";
import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import { appendSlice, entrySize, executeCommitted, stampNow } from "./log.js";
import type { BodyOf, VrEntry } from "./messages.js";
import { startFetch } from "./fetch.js";
import { probeNewMembers } from "./probes.js";
import { answer, answerCommitted, notPrimary } from "./replies.js";
import { isMember, isPrimary, type Pending, type ReplicaState, viewPrimary } from "./state.js";
import { toMembers, toReplica } from "./wire.js";

// Normal operation (the paper's §4.1): the primary logs requests in batches,
// sends Prepare, commits an entry once a quorum holds it (f PrepareOKs and
// its own log) and answers; backups append in order, acknowledge, and
// execute what the piggybacked commit-number says is committed. Up to
// prepareWindow Prepares are out at once, their entries within batchBytesMax
// together, which keeps DoViewChange and StartView within one message.
// Once a reconfiguration is logged the epoch takes no more requests
// (reconfigure.ts): the next epoch serves them.

/** Client → replica: a request. Only the normal primary takes it; the others say who is. */
export function onClientRequest(
  state: ReplicaState,
  body: BodyOf<"Request"> | BodyOf<"RegisterClient">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (state.status === "recovering" || state.status === "view-change" || state.status === "transitioning")
    return ctx.log.debug({ from: message.from, status: state.status }, "not normal: request ignored");
  // Not the primary: the client hears where the group is.
  if (state.status !== "normal" || !isPrimary(state)) return notPrimary(state, message.from, ctx);
  if (!env.decide.takesRequests(state)) {
    awaitEpoch(state, [message.from], env);
    return refuse(body, message.from, "Busy", ctx);
  }
  if (body.type === "RegisterClient") {
    // Open already (a retried register whose answer was lost): executed, so committed; no new entry.
    const open = state.app.lastByClient.get(message.from);
    if (open !== undefined) return answer(message.from, body.seq, { ok: true, session: open.id }, ctx);
  }
  if (body.type === "Request") {
    const cached = cachedResult(state.app, message.from, body.seq, body.op);
    if (cached !== undefined) return answer(message.from, body.seq, cached, ctx);
    // An old retry (its client moved on): logging it again would only grow the log, once per copy delivered.
    if (alreadyExecuted(state.app, message.from, body.seq, body.op)) return;
    if (body.op.f === "get") {
      const value = env.decide.readNow(state, body.op.key);
      if (value !== null) return answer(message.from, body.seq, { ok: true, value }, ctx);
    }
    if (body.op.f !== "get" && valueTooLargeReason(body.op.value) !== null)
      return answer(message.from, body.seq, { ok: false, error: "ValueTooLarge" }, ctx);
  }
  if (isQueued(state, message.from, body.seq)) return; // answered when it commits
  if (state.pending.length >= env.config.pendingMax) return refuse(body, message.from, "Busy", ctx);
  state.pending.push(
    body.type === "Request"
      ? { type: "op", client: message.from, session: body.session, seq: body.seq, op: body.op }
      : { type: "register", client: message.from, seq: body.seq },
  );
  prepareNext(state, ctx, env);
}

/** Clients to tell where the next epoch is once the logged reconfiguration executes (at most pendingMax). */
function awaitEpoch(state: ReplicaState, clients: readonly Address[], env: Env): void {
  for (const client of clients)
    if (!state.awaitingEpoch.includes(client) && state.awaitingEpoch.length < env.config.pendingMax)
      state.awaitingEpoch.push(client);
}

function refuse(
  body: BodyOf<"Request"> | BodyOf<"RegisterClient">,
  client: Address,
  error: "Busy",
  ctx: Context,
): void {
  if (body.type === "Request")
    ctx.send(client, { type: "Reply", seq: body.seq, result: { ok: false, error } });
  else ctx.send(client, { type: "RegisterReply", seq: body.seq, result: { ok: false, error } });
}

/**
 * Whether the request is already queued or logged and not yet executed (a
 * retry: answered when it commits). Asked for every request the primary
 * takes: plain loops, no copy of the log's tail and no closure per call.
 */
function isQueued(state: ReplicaState, client: Address, seq: number): boolean {
  for (const request of state.pending) if (isRequest(request, client, seq)) return true;
  for (let index = Math.max(0, state.app.applied - state.logStart); index < state.log.length; index++)
    if (isRequest(state.log[index]!, client, seq)) return true;
  return false;
}

function isRequest(entry: Pending | VrEntry, client: Address, seq: number): boolean {
  return (entry.type === "op" || entry.type === "register") && entry.client === client && entry.seq === seq;
}

/**
 * Primary: logs the next batch of queued requests and sends it, while fewer
 * than prepareWindow Prepares are out and the uncommitted entries stay within
 * batchBytesMax (a batch alone may hold one larger entry).
 */
export function prepareNext(state: ReplicaState, ctx: Context, env: Env): void {
  forgetCommitted(state);
  if (state.pending.length === 0 || state.prepared.length >= env.config.prepareWindow) return;
  const budget = batchBytesMax - state.prepared.reduce((sum, batch) => sum + batch.bytes, 0);
  const firstOp = state.opNumber + 1;
  const atMs = stampNow(state, ctx.now());
  let bytes = 0;
  let taken = 0;
  for (const request of state.pending) {
    const entry = logEntryOf(state, request, atMs);
    const size = entrySize(entry);
    const alone = taken === 0 && state.prepared.length === 0;
    if (taken === env.config.prepareBatchMax || (!alone && bytes + size > budget)) break;
    bytes += size;
    taken += 1;
    state.log.push(entry);
    if (entry.type === "reconfig") break;
  }
  if (taken === 0) return; // the next request waits for room
  state.pending.splice(0, taken);
  // Requests after a reconfiguration wait for the next epoch: their clients retry there.
  if (!env.decide.takesRequests(state)) {
    awaitEpoch(
      state,
      state.pending.flatMap((request) => ("client" in request ? [request.client] : [])),
      env,
    );
    state.pending = [];
  }
  logged(state, firstOp, bytes, ctx, env);
}

function logEntryOf(state: ReplicaState, request: Pending, atMs: number): VrEntry {
  // Built field by field: a spread copies through V8's generic path, once per operation.
  if (request.type === "op") {
    const { client, session, seq, op } = request;
    return { type: "op", client, session, seq, op, atMs };
  }
  if (request.type !== "reconfig")
    return { type: request.type, client: request.client, seq: request.seq, atMs };
  // The next epoch's views begin after this one: no view of this epoch that answers clients shares its number.
  return {
    type: "reconfig",
    epoch: state.epoch + 1,
    members: request.members,
    startView: state.viewNum + 1,
    atMs,
  };
}

/** Entries firstOp … the log's end were just logged by the primary: they go out as one Prepare. */
function logged(state: ReplicaState, firstOp: number, bytes: number, ctx: Context, env: Env): void {
  state.opNumber = state.log.length + state.logStart;
  state.acked[state.self] = state.opNumber;
  state.prepared.push({ end: state.opNumber, bytes });
  sendPrepare(state, firstOp, state.opNumber, ctx, null);
  probeNewMembers(state, ctx);
  commitWhatAQuorumHolds(state, ctx, env); // a single replica is its own quorum
}

function forgetCommitted(state: ReplicaState): void {
  while (state.prepared.length > 0 && state.prepared[0]!.end <= state.commitNumber) state.prepared.shift();
}

/** Sends entries firstOp … end to every backup (or, on a resend, only those that did not acknowledge `end`). */
export function sendPrepare(
  state: ReplicaState,
  firstOp: number,
  end: number,
  ctx: Context,
  behind: number | null,
): void {
  const entries = state.log.slice(firstOp - state.logStart - 1, end - state.logStart);
  if (entries.length === 0) return;
  for (const member of state.members) {
    if (member === state.self || (behind !== null && state.acked[member]! >= behind)) continue;
    toReplica(state, ctx, member, { type: "Prepare", firstOp, entries, commitNumber: state.commitNumber });
  }
}

/** Backup: appends a Prepare of its view in order, acknowledges, executes what is committed. */
export function onPrepare(
  state: ReplicaState,
  body: BodyOf<"Prepare">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (!fromPrimary(state, message, ctx, env)) return;
  if (body.firstOp > state.opNumber + 1) return fetchMissing(state, ctx);
  appendSlice(state, { after: body.firstOp - 1, entries: body.entries });
  toReplica(state, ctx, viewPrimary(state), { type: "PrepareOK", opNumber: state.opNumber });
  learnCommit(state, body.commitNumber, ctx, env);
}

/** Backup: the primary's commit-number (a Commit, or piggybacked on a Prepare). */
export function onCommit(
  state: ReplicaState,
  body: BodyOf<"Commit">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (!fromPrimary(state, message, ctx, env)) return;
  learnCommit(state, body.commitNumber, ctx, env);
}

function learnCommit(state: ReplicaState, commitNumber: number, ctx: Context, env: Env): void {
  if (commitNumber > state.opNumber) fetchMissing(state, ctx);
  state.commitNumber = Math.max(state.commitNumber, Math.min(commitNumber, state.opNumber));
  executeCommitted(state, ctx, env);
}

/** A backup missing entries of its own view fetches them from the primary. */
function fetchMissing(state: ReplicaState, ctx: Context): void {
  if (state.fetch !== null) return;
  startFetch(state, "catchUp", viewPrimary(state), null, ctx);
}

/**
 * Whether a Prepare or Commit comes from this replica's primary in its view
 * and it is normal; a later view's primary makes it ask for that view.
 */
function fromPrimary(state: ReplicaState, message: Message, ctx: Context, env: Env): boolean {
  if (state.status !== "normal" && state.status !== "view-change") return false;
  if (message.viewNum > state.viewNum && env.decide.laterView(state, message.viewNum, ctx, env)) return false;
  if (!env.decide.acceptsFromPrimary(state, message.viewNum)) {
    ctx.log.debug({ from: message.from, viewNum: message.viewNum }, "not from my view's primary: ignored");
    return false;
  }
  state.silentTicks = 0;
  return true;
}

/** Primary: a backup holds every entry up to `opNumber` of this view. */
export function onPrepareOK(
  state: ReplicaState,
  body: BodyOf<"PrepareOK">,
  from: number,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (state.status !== "normal" || !isPrimary(state) || message.viewNum !== state.viewNum) return;
  if (!isMember(state, from))
    return ctx.log.debug({ from: message.from }, "PrepareOK from a non-member: ignored");
  if (body.opNumber > state.opNumber)
    return ctx.log.warn({ from: message.from }, "PrepareOK beyond the log: ignored");
  state.acked[from] = Math.max(state.acked[from]!, body.opNumber);
  commitWhatAQuorumHolds(state, ctx, env);
}

/** Primary: a new member of the logged reconfiguration is up (probes.ts); it may be what the commit waits for. */
export function onEpochProbeOK(
  state: ReplicaState,
  body: BodyOf<"EpochProbeOK">,
  from: number,
  ctx: Context,
  env: Env,
): void {
  if (state.status !== "normal" || !isPrimary(state) || isMember(state, from) || body.op > state.opNumber)
    return ctx.log.debug(
      { from, op: body.op },
      "EpochProbeOK not for this primary's reconfiguration: ignored",
    );
  state.acked[from] = Math.max(state.acked[from]!, body.op);
  commitWhatAQuorumHolds(state, ctx, env);
}

function commitWhatAQuorumHolds(state: ReplicaState, ctx: Context, env: Env): void {
  const point = env.decide.commitPoint(state, env.config);
  if (point <= state.commitNumber) return;
  state.commitNumber = point;
  executeCommitted(state, ctx, env, (entry, result) => answerCommitted(state, entry, result, ctx));
  // Executing a reconfiguration may have moved this replica to an epoch it is not primary of.
  if (state.status === "normal" && isPrimary(state)) prepareNext(state, ctx, env);
}

/** Primary, every tick: resend what is unacknowledged, or Commit when idle; forget idle sessions. */
export function primaryTick(state: ReplicaState, ctx: Context, env: Env): void {
  forgetCommitted(state);
  if (state.commitNumber < state.opNumber) {
    resendUncommitted(state, ctx);
    probeNewMembers(state, ctx);
    heartbeatUpToDate(state, ctx);
  } else toMembers(state, ctx, { type: "Commit", commitNumber: state.commitNumber });
  state.preparedAtLastTick = state.opNumber;
  queueExpiry(state, ctx, env);
}

/**
 * Commit to the backups that acknowledged every entry: the resends skip them,
 * and a commit that waits (a reconfiguration waiting for the next group)
 * must not look like a silent primary to them.
 */
function heartbeatUpToDate(state: ReplicaState, ctx: Context): void {
  for (const member of state.members)
    if (member !== state.self && state.acked[member]! >= state.opNumber)
      toReplica(state, ctx, member, { type: "Commit", commitNumber: state.commitNumber });
}

/**
 * Each uncommitted Prepare that was out at the last tick again, to the
 * backups that did not acknowledge it (a new view's tail is one).
 */
function resendUncommitted(state: ReplicaState, ctx: Context): void {
  let firstOp = state.commitNumber + 1;
  for (const batch of state.prepared) {
    if (batch.end >= firstOp && batch.end <= state.preparedAtLastTick)
      sendPrepare(state, firstOp, batch.end, ctx, batch.end);
    firstOp = Math.max(firstOp, batch.end + 1);
  }
}

/** Sessions idle past the expiry (with 1/16 slack, so a batch does not expire each tick) are forgotten by a logged entry. */
function queueExpiry(state: ReplicaState, ctx: Context, env: Env): void {
  if (state.expiryCheckIn > 0) {
    state.expiryCheckIn -= 1;
    return;
  }
  const expiry = env.config.sessionExpiryMs;
  state.expiryCheckIn = Math.max(1, Math.floor(expiry / 16 / env.config.tickMs));
  const oldest = oldestActivityMs(state.app);
  const now = stampNow(state, ctx.now());
  if (oldest === undefined || oldest >= now - expiry - expiry / 16) return;
  logExpire(state, now - expiry, ctx, env);
}

function logExpire(state: ReplicaState, beforeMs: number, ctx: Context, env: Env): void {
  if (state.commitNumber < state.opNumber || !env.decide.takesRequests(state)) return; // next check
  const firstOp = state.opNumber + 1;
  state.log.push({ type: "expire", beforeMs, atMs: stampNow(state, ctx.now()) });
  logged(state, firstOp, 0, ctx, env);
}
