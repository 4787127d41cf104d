import { type App } from "../../kv/atMostOnce.js";
import { chunkAt, receiveChunk, startOutgoing } from "../../kv/transfer.js";
import { heldForwardCharsMax, heldForwardsMax } from "../../schemas/limits.js";
import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import type { BodyOf } from "./messages.js";
import type { ChainServerState } from "./state.js";
import { forwardNew, resetLink } from "./links.js";
import { ackPredecessor, applyOne, isFromPredecessor } from "./updates.js";
import { tailOf } from "./view.js";

// A spare joins as the new tail (van Renesse & Schneider §3, "extending a
// chain"). In the view that names it `joining`, the tail takes a snapshot at
// its position (src/kv/transfer.ts: chunked, the session table included) and
// streams it; meanwhile the tail keeps serving and forwards every later
// position to the joining server, which holds them until the last chunk is
// in, then applies them. Once it has installed the state it says so in its
// pings, and the master links it in as the tail of the next view; until then
// the old tail answers clients.

/** Tail: a view names a joining server; send it the state as of now. */
export function startTransfer(state: ChainServerState, app: App, ctx: Context, env: Env): void {
  state.outgoing = startOutgoing(app);
  state.joinerIncarnation = null;
  state.handoverAt = null;
  state.sent = [];
  state.sentBase = app.applied;
  // Nothing is known held until the joiner acknowledges (its acks move this, and the handover waits for it).
  resetLink(state, 0);
  sendChunks(state, ctx, env);
}

export function sendChunks(state: ChainServerState, ctx: Context, env: Env): void {
  const outgoing = state.outgoing;
  const joining = state.view.joining;
  if (outgoing === null || joining === undefined || state.app === null) return;
  while (
    outgoing.nextToSend < outgoing.acked + env.config.transferWindow &&
    (outgoing.chunkCount === null || outgoing.nextToSend < outgoing.chunkCount)
  ) {
    ctx.send(joining, { type: "StateTransfer", ...chunkAt(outgoing, state.app.store, outgoing.nextToSend) });
    outgoing.nextToSend += 1;
  }
}

/** Every pingMs: chunks unacknowledged for a whole interval are sent again. */
export function resendChunks(state: ChainServerState, ctx: Context, env: Env): void {
  const outgoing = state.outgoing;
  if (outgoing === null || ++outgoing.quietTicks < 2) return;
  outgoing.quietTicks = 0;
  outgoing.nextToSend = outgoing.acked;
  sendChunks(state, ctx, env);
}

export function onStateTransferAck(
  state: ChainServerState,
  ack: BodyOf<"StateTransferAck">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  const outgoing = state.outgoing;
  if (outgoing === null || message.from !== state.view.joining || message.viewNum !== state.view.viewNum)
    return;
  if (ack.applied !== outgoing.applied || state.holders.get(message.from) !== ack.incarnation) return;
  state.joinerIncarnation ??= ack.incarnation;
  if (!ack.installed) {
    if (ack.received <= outgoing.acked) return;
    outgoing.acked = Math.min(ack.received, outgoing.chunkStarts.length);
    outgoing.quietTicks = 0;
    outgoing.nextToSend = Math.max(outgoing.nextToSend, outgoing.acked);
    return sendChunks(state, ctx, env);
  }
  state.outgoing = null;
  // From here the joiner answers what follows, once linked in: this tail answers no more.
  state.handoverAt = state.app!.applied;
  ctx.emit({ type: "stateTransferred", viewNum: state.view.viewNum, to: message.from, applied: ack.applied });
  forwardNew(state, ctx, env);
}

/** Joining server: a chunk from the tail of our view; once the last is in, the held positions apply. */
export function onStateTransfer(
  state: ChainServerState,
  chunk: BodyOf<"StateTransfer">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (state.place !== "joining" || !isFromPredecessor(state, message, ctx.self)) return;
  // The tail started over (a view without this server came between, unseen here): the
  // state installed from its earlier snapshot may lack positions it will never resend.
  if (state.app !== null && chunk.chunk === 0 && chunk.applied !== state.snapshotAt) {
    state.app = null;
    state.buffered.clear();
    state.sent = [];
    state.sentBase = state.stable = state.forwardedUpTo = state.successorHolds = 0;
  }
  if (state.app === null) {
    const { incoming, installed } = receiveChunk(state.incoming, chunk);
    state.incoming = incoming;
    if (installed !== null) install(state, installed, ctx, env);
  }
  const installed = state.app !== null;
  ctx.send(message.from, {
    type: "StateTransferAck",
    applied: chunk.applied,
    received: installed ? chunk.chunk + 1 : (state.incoming?.received ?? 0),
    installed,
    incarnation: state.incarnation,
  });
}

function install(state: ChainServerState, app: App, ctx: Context, env: Env): void {
  state.app = app;
  state.snapshotAt = app.applied;
  state.incoming = null;
  state.sentBase = app.applied;
  state.stable = app.applied;
  for (
    let next = state.buffered.get(app.applied + 1);
    next !== undefined;
    next = state.buffered.get(app.applied + 1)
  ) {
    state.buffered.delete(app.applied + 1);
    applyOne(state, app, next, ctx, env);
  }
  state.buffered.clear();
  state.stable = app.applied;
  ctx.log.info(
    { viewNum: state.view.viewNum, applied: app.applied, from: tailOf(state.view) },
    "state transfer installed",
  );
  ackPredecessor(state, ctx);
}

/**
 * Joining server during its transfer: hold the tail's positions after the
 * snapshot (within bounds in entries and characters; beyond, its acks stall
 * and the head's Sent list fills, so it answers Busy) and acknowledge the
 * contiguous ones held.
 */
export function holdDuringTransfer(
  state: ChainServerState,
  forward: BodyOf<"Forward">,
  message: Message,
  ctx: Context,
): void {
  const incoming = state.incoming;
  if (state.place !== "joining" || incoming === null || !isFromPredecessor(state, message, ctx.self)) return;
  forward.entries.forEach((entry, offset) => {
    const index = forward.firstIndex + offset;
    if (index <= incoming.applied || state.buffered.has(index)) return;
    const chars =
      entry.type !== "op" ? 0 : entry.op.key.length + (entry.op.f === "get" ? 0 : entry.op.value.length);
    if (index - incoming.applied > heldForwardsMax || incoming.heldChars + chars > heldForwardCharsMax)
      return;
    state.buffered.set(index, entry);
    incoming.heldChars += chars;
  });
  while (state.buffered.has(incoming.heldUpTo + 1)) incoming.heldUpTo += 1;
  ackPredecessor(state, ctx);
}
