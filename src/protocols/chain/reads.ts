import { type Address, isClientAddress } from "../../schemas/address.js";
import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import type { BodyOf } from "./messages.js";
import { answerOp, refuse } from "./replies.js";
import type { ChainServerState, PendingRead } from "./state.js";
import { predecessorOf, successorOf } from "./view.js";

// Reads at the tail. The tail holds every update any tail answered (a tail
// hands over to a joining server only once that server holds everything it
// answered, joining.ts; a predecessor that becomes the tail holds more than
// the tail it replaces). But a tail the master replaced without its knowing
// would read stale data. So before it answers reads, the tail asks its
// predecessor whether it is still its successor in the same view; the
// master moves on only once the tail took the view up (master.ts), so while
// the predecessor is in that view no other server answers clients. Reads
// arriving while a confirmation is out wait for the next one.

export function onRead(
  state: ChainServerState,
  request: BodyOf<"Request">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  const client = message.from;
  if (!isClientAddress(client))
    return ctx.log.warn({ from: client }, "request from a non-client address refused");
  if (request.op.f !== "get") return;
  if (!env.decide.takesReads(state.place)) return refuse(client, request.seq, "NotTail", ctx);
  if (message.viewNum > state.view.viewNum) return refuse(client, request.seq, "WrongView", ctx);
  if (state.app === null) return refuse(client, request.seq, "NotReady", ctx);
  if (state.reads.length + (state.check?.reads.length ?? 0) >= env.config.readsMax)
    return refuse(client, request.seq, "Busy", ctx);
  // A read needs no session: it changes nothing, and may run again.
  state.reads.push({ client, seq: request.seq, key: request.op.key });
  confirmReads(state, ctx, env);
}

/** Ask the predecessor to confirm the chain for the reads waiting, unless a confirmation is out. */
export function confirmReads(state: ChainServerState, ctx: Context, env: Env): void {
  if (state.check !== null || state.reads.length === 0) return;
  const reads = state.reads;
  state.reads = [];
  const predecessor = predecessorOf(state.view, ctx.self);
  // A chain of one: no other server holds the state, so none can answer instead.
  if (predecessor === null || !env.decide.confirmsReads(state)) return answerReads(state, reads, ctx);
  state.check = { id: state.nextCheckId++, reads, ticks: 0 };
  ctx.send(predecessor, { type: "ReadCheck", id: state.check.id });
}

/** Predecessor: confirm to our successor that it is still the tail of our view. */
export function onReadCheck(
  state: ChainServerState,
  body: BodyOf<"ReadCheck">,
  message: Message,
  ctx: Context,
): void {
  if (message.viewNum !== state.view.viewNum || message.from !== successorOf(state.view, ctx.self)) return;
  if (state.view.joining === message.from) return; // a joining server is not the tail
  // A process restarted under a member's name holds no place.
  if (state.app === null || state.place === "spare" || state.place === "joining") return;
  ctx.send(message.from, { type: "ReadCheckOk", id: body.id });
}

export function onReadCheckOk(
  state: ChainServerState,
  body: BodyOf<"ReadCheckOk">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  const check = state.check;
  if (check === null || body.id !== check.id || message.viewNum !== state.view.viewNum) return;
  if (message.from !== predecessorOf(state.view, ctx.self)) return;
  state.check = null;
  answerReads(state, check.reads, ctx);
  confirmReads(state, ctx, env);
}

function answerReads(state: ChainServerState, reads: readonly PendingRead[], ctx: Context): void {
  const store = state.app!.store;
  for (const read of reads)
    answerOp(
      state,
      read.client,
      read.seq,
      { f: "get", key: read.key },
      { ok: true, value: store.get(read.key) ?? "" },
      ctx,
    );
}

/** Every pingMs: a confirmation unanswered for a whole interval is asked again (it may have been lost). */
export function retryCheck(state: ChainServerState, ctx: Context, env: Env): void {
  const check = state.check;
  if (check === null || ++check.ticks < 2) return;
  state.check = null;
  state.reads = [...check.reads, ...state.reads];
  confirmReads(state, ctx, env);
}

/**
 * A new view: reads waiting are confirmed again in it if this server is
 * still the tail, else refused (their clients ask the master again).
 */
export function rereadInNewView(state: ChainServerState, ctx: Context, env: Env): void {
  const reads: PendingRead[] = [...(state.check?.reads ?? []), ...state.reads];
  state.check = null;
  state.reads = [];
  if (reads.length === 0) return;
  if (!env.decide.takesReads(state.place) || state.app === null) {
    for (const read of reads) refuse(read.client as Address, read.seq, "NotTail", ctx);
    return;
  }
  state.reads = reads;
  confirmReads(state, ctx, env);
}
