import {
  type App,
  alreadyExecuted,
  applyEntry,
  cachedResult,
  oldestActivityMs,
  sessionOf,
} from "../../kv/atMostOnce.js";
import { saveSnapshotValue } from "../../kv/transfer.js";
import { type Address, isClientAddress } from "../../schemas/address.js";
import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import type { BodyOf, ChainEntry, NotServed } from "./messages.js";
import { answerApplied, refuse, refuseRegister, repeatAnswer } from "./replies.js";
import { acknowledged, forwardNew } from "./links.js";
import type { ChainServerState } from "./state.js";
import { isHeadPlace, isTailPlace, predecessorOf, successorOf, tailOf } from "./view.js";

// Updates (put, append, register, expire) enter at the head, which orders
// them by log position and applies them; each server applies its
// predecessor's positions in order and passes them on, keeping them in its
// Sent list until the tail has them; the tail answers the client. Acks flow
// back up (ChainAck), trimming Sent lists.

/** Client messages reach the head only from client addresses, in a view the server knows. */
function admitUpdate(state: ChainServerState, message: Message, ctx: Context): App | NotServed | null {
  if (!isClientAddress(message.from)) {
    ctx.log.warn({ from: message.from }, "request from a non-client address refused");
    return null;
  }
  if (!isHeadPlace(state.place)) return "NotHead";
  if (message.viewNum > state.view.viewNum) return "WrongView";
  return state.app ?? "NotReady";
}

export function onRegisterClient(
  state: ChainServerState,
  body: BodyOf<"RegisterClient">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  const client = message.from;
  const app = admitUpdate(state, message, ctx);
  if (app === null) return;
  if (typeof app === "string") return refuseRegister(client, body.seq, app, ctx);
  const inFlight = inSent(state, "register", client, body.seq);
  const open = app.lastByClient.get(client);
  // Open and applied at the tail (not in flight): a retry, answered from the table.
  if (open !== undefined && (!inFlight || answersItsOwn(state)))
    return void ctx.send(client, {
      type: "RegisterReply",
      seq: body.seq,
      result: { ok: true, session: open.id },
    });
  if (inFlight) return; // on its way down the chain: the tail will answer
  if (state.sent.length >= env.config.sentMax) return refuseRegister(client, body.seq, "Busy", ctx);
  logAtHead(state, app, { type: "register", client, seq: body.seq, atMs: stamp(app, ctx) }, ctx, env);
}

/** An update at the head (reads go to reads.ts). */
export function onUpdate(
  state: ChainServerState,
  request: BodyOf<"Request">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  const client = message.from;
  const app = admitUpdate(state, message, ctx);
  if (app === null) return;
  if (typeof app === "string") return refuse(client, request.seq, app, ctx);
  // Not run: the session was forgotten (or never opened), so this may be a retry of an update that ran.
  if (sessionOf(app, client, request.session) === undefined)
    return refuse(client, request.seq, "SessionExpired", ctx);
  const inFlight = inSent(state, "op", client, request.seq);
  if (inFlight && !answersItsOwn(state)) return; // the tail will answer it
  const cached = cachedResult(app, client, request.seq, request.op);
  // Applied and no longer in flight: the tail applied it (and answered, but that answer was lost).
  if (cached !== undefined) return repeatAnswer(client, request.seq, cached, ctx);
  if (alreadyExecuted(app, client, request.seq, request.op)) return; // an old retry; its client moved on
  if (state.sent.length >= env.config.sentMax) return refuse(client, request.seq, "Busy", ctx);
  const { session, seq, op } = request;
  logAtHead(state, app, { type: "op", client, session, seq, op, atMs: stamp(app, ctx) }, ctx, env);
}

/**
 * The head is also the tail and answers what it applied (a chain of one),
 * unless it is handing over to a joining server: that one answers the rest.
 */
function answersItsOwn(state: ChainServerState): boolean {
  return isTailPlace(state.place) && state.handoverAt === null;
}

/** The head's clock for a new entry, never before the last one applied (stamps on the log never go back). */
function stamp(app: App, ctx: Context): number {
  return Math.max(ctx.now(), app.timeMs);
}

/** The update `type` of `client` numbered `seq` is in the Sent list (on its way to the tail). */
function inSent(state: ChainServerState, type: "op" | "register", client: Address, seq: number): boolean {
  for (const entry of state.sent)
    if (entry.type === type && entry.client === client && entry.seq === seq) return true;
  return false;
}

function logAtHead(state: ChainServerState, app: App, entry: ChainEntry, ctx: Context, env: Env): void {
  applyOne(state, app, entry, ctx, env);
  forwardNew(state, ctx, env);
}

/**
 * Head, every pingMs: once the least recently active session has been idle
 * longer than sessionExpiryMs (plus a sixteenth, so one entry forgets a span
 * of sessions), log an entry that forgets every session idle that long.
 */
export function expireIdleSessions(state: ChainServerState, ctx: Context, env: Env): void {
  const app = state.app;
  if (app === null || !isHeadPlace(state.place)) return;
  const oldestMs = oldestActivityMs(app);
  if (oldestMs === undefined) return;
  const { sessionExpiryMs } = env.config;
  const nowMs = stamp(app, ctx);
  if (nowMs - oldestMs <= sessionExpiryMs + sessionExpiryMs / 16) return;
  for (const entry of state.sent) if (entry.type === "expire") return;
  logAtHead(state, app, { type: "expire", beforeMs: nowMs - sessionExpiryMs, atMs: nowMs }, ctx, env);
}

/** Apply the next position here: keep it for the successor, answer its client if this is the tail. */
export function applyOne(state: ChainServerState, app: App, entry: ChainEntry, ctx: Context, env: Env): void {
  if (state.outgoing !== null && entry.type === "op" && entry.op.f !== "get")
    saveSnapshotValue(state.outgoing, app.store, entry.op.key);
  const result = applyEntry(app, entry);
  const successor = successorOf(state.view, ctx.self);
  if (successor !== null) state.sent.push(entry);
  else state.sentBase = app.applied;
  // With a joining server, the tail's mark waits for the joiner's (onChainAck).
  if (isTailPlace(state.place) && successor === null) state.stable = app.applied;
  // A tail handing over answers nothing more: the joiner, once linked in, is the tail.
  if (state.handoverAt !== null) return;
  if (env.decide.answersUpdates(state.place, successor !== null && successor === tailOf(state.view)))
    answerApplied(state, entry, result, ctx);
}

/** Positions from the predecessor of our view: apply in order, pass on, acknowledge. */
export function onForward(
  state: ChainServerState,
  forward: BodyOf<"Forward">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (!isFromPredecessor(state, message, ctx.self)) return;
  const app = state.app;
  if (app === null) return; // a joining server holds them during its transfer (joining.ts)
  if (env.decide.appliesInOrder) {
    forward.entries.forEach((entry, offset) => {
      const index = forward.firstIndex + offset;
      if (index > app.applied && index - app.applied <= bufferMax(env)) state.buffered.set(index, entry);
    });
    for (
      let next = state.buffered.get(app.applied + 1);
      next !== undefined;
      next = state.buffered.get(app.applied + 1)
    ) {
      state.buffered.delete(app.applied + 1);
      applyOne(state, app, next, ctx, env);
    }
  } else {
    for (const [offset, entry] of forward.entries.entries())
      if (forward.firstIndex + offset > app.applied) applyOne(state, app, entry, ctx, env);
  }
  forwardNew(state, ctx, env);
  ackPredecessor(state, ctx);
}

function bufferMax(env: Env): number {
  return env.config.sentMax * 2;
}

export function predecessorIn(state: ChainServerState, self: Address): Address | null {
  return state.place === "joining" ? tailOf(state.view) : predecessorOf(state.view, self);
}

export function isFromPredecessor(state: ChainServerState, message: Message, self: Address): boolean {
  return message.viewNum === state.view.viewNum && message.from === predecessorIn(state, self);
}

/** Tell the predecessor what this server holds and what the tail has. */
export function ackPredecessor(state: ChainServerState, ctx: Context): void {
  const predecessor = predecessorIn(state, ctx.self);
  const held = state.app?.applied ?? state.incoming?.heldUpTo;
  if (predecessor === null || held === undefined) return;
  const stable = state.place === "joining" ? held : state.stable;
  ctx.send(predecessor, {
    type: "ChainAck",
    applied: held,
    stable,
    incarnation: state.incarnation,
  });
}

/** From the successor of our view (the process the master named): trim, move the resend point, pass it up. */
export function onChainAck(
  state: ChainServerState,
  ack: BodyOf<"ChainAck">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  const successor = successorOf(state.view, ctx.self);
  if (message.viewNum !== state.view.viewNum || message.from !== successor || state.app === null) return;
  if (state.holders.get(successor) !== ack.incarnation) return; // a process restarted under its name holds nothing
  if (ack.applied > state.app.applied)
    return ctx.log.warn({ from: message.from, applied: ack.applied }, "ack of positions never sent refused");
  acknowledged(state, ack.applied);
  const trimTo = Math.min(ack.stable, state.app.applied);
  const before = state.stable;
  if (trimTo > state.sentBase) {
    state.sent.splice(0, trimTo - state.sentBase);
    state.sentBase = trimTo;
  }
  // The tail's own positions are stable as it applies them; a tail with a joining server keeps
  // the joiner's mark, so nothing the joiner lacks is trimmed up the chain before it holds it.
  state.stable = isTailPlace(state.place)
    ? Math.max(state.stable, Math.min(ack.stable, state.app.applied))
    : Math.max(state.stable, ack.stable);
  if (state.stable !== before) ackPredecessor(state, ctx);
  forwardNew(state, ctx, env);
}
