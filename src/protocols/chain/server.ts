import { cachedResult, emptyApp } from "../../kv/atMostOnce.js";
import { storeEncodedBytes } from "../../kv/store.js";
import type { Address } from "../../schemas/address.js";
import type { NodeStatus } from "../../schemas/clusterEvents.js";
import { sessionsMax } from "../../schemas/limits.js";
import { describeView, type View } from "../../schemas/view.js";
import { assert } from "../../actors/assert.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import type { ChainConfig } from "./config.js";
import { correctDecisions } from "./decisions.js";
import type { Env } from "./env.js";
import {
  holdDuringTransfer,
  onStateTransfer,
  onStateTransferAck,
  resendChunks,
  startTransfer,
} from "./joining.js";
import { type BodyOf } from "./messages.js";
import { plantedDecisions } from "./plantedBugs.js";
import { onRead, onReadCheck, onReadCheckOk, rereadInNewView, retryCheck } from "./reads.js";
import { answerApplied } from "./replies.js";
import type { ChainServerState } from "./state.js";
import {
  ackPredecessor,
  expireIdleSessions,
  onChainAck,
  onForward,
  onRegisterClient,
  onUpdate,
  predecessorIn,
} from "./updates.js";
import { forwardNew, resendForwards, resetLink } from "./links.js";
import { emptyChainView, isTailPlace, masterAddress, type Place, placeOf, successorOf } from "./view.js";

// A chain server (docs/CHAIN.md): head, middle server, tail, joining server
// or spare, as the master's latest view places it. The handlers are in
// updates.ts (the update path and acks), reads.ts (reads at the tail) and
// joining.ts (a spare joining as the new tail); this file follows the views.

export function createChainServer(config: ChainConfig): ActorDefinition<ChainServerState> {
  const env: Env = { config, decide: { ...correctDecisions, ...plantedDecisions(config) } };
  return {
    kind: "server",
    init(ctx) {
      const state = initialState(Math.floor(ctx.random() * 0x1_0000_0000));
      sendPing(state, ctx, env);
      ctx.setTimer({ type: "PingTimer" }, config.pingMs);
      return state;
    },
    onMessage: (state, message, ctx) => dispatch(state, message, ctx, env),
    onTimer(state, timer, ctx) {
      if (timer.type !== "PingTimer") return;
      sendPing(state, ctx, env);
      resendForwards(state, ctx, env);
      resendChunks(state, ctx, env);
      retryCheck(state, ctx, env);
      expireIdleSessions(state, ctx, env);
      ackPredecessor(state, ctx);
      ctx.setTimer({ type: "PingTimer" }, config.pingMs);
    },
    viewNum: (state) => state.view.viewNum,
    invariants: serverInvariants,
    describe: describeServer,
    status: serverStatus,
  };
}

function initialState(incarnation: number): ChainServerState {
  return {
    incarnation,
    view: { ...emptyChainView, chain: [] },
    holders: new Map(),
    place: "spare",
    ackedViewNum: 0,
    app: null,
    sent: [],
    sentBase: 0,
    forwardedUpTo: 0,
    successorHolds: 0,
    inFlightEnds: [],
    quietTicks: 0,
    stable: 0,
    handoverAt: null,
    buffered: new Map(),
    outgoing: null,
    joinerIncarnation: null,
    incoming: null,
    snapshotAt: null,
    reads: [],
    check: null,
    nextCheckId: 0,
  };
}

function dispatch(state: ChainServerState, message: Message, ctx: Context, env: Env): void {
  const body = message.body;
  switch (body.type) {
    case "ViewReply":
      return onViewReply(state, body, message, ctx, env);
    case "RegisterClient":
      return onRegisterClient(state, body, message, ctx, env);
    case "Request":
      return body.op.f === "get"
        ? onRead(state, body, message, ctx, env)
        : onUpdate(state, body, message, ctx, env);
    case "Forward":
      if (state.app === null) return holdDuringTransfer(state, body, message, ctx);
      return onForward(state, body, message, ctx, env);
    case "ChainAck":
      return onChainAck(state, body, message, ctx, env);
    case "StateTransfer":
      return onStateTransfer(state, body, message, ctx, env);
    case "StateTransferAck":
      return onStateTransferAck(state, body, message, ctx, env);
    case "ReadCheck":
      return onReadCheck(state, body, message, ctx);
    case "ReadCheckOk":
      return onReadCheckOk(state, body, message, ctx, env);
    default:
      return ctx.log.debug(
        { from: message.from, type: body.type },
        "a chain server ignores this message type",
      );
  }
}

function onViewReply(
  state: ChainServerState,
  reply: BodyOf<"ViewReply">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (message.from !== masterAddress)
    return ctx.log.warn({ from: message.from }, "view from someone other than the master refused");
  if (reply.view.viewNum <= state.view.viewNum) return; // old news (reordered or duplicated)
  // A fresh process takes its first view only from the answer to its own ping, not from one
  // meant for its previous life that still sits in its queue.
  if (state.view.viewNum === 0 && reply.pingIncarnation !== state.incarnation) return;
  adoptView(state, reply.view, new Map(reply.incarnations), ctx, env);
}

/** Take up a newer view: keep, relink or drop what this server holds, by where it now stands. */
function adoptView(
  state: ChainServerState,
  view: View,
  holders: Map<Address, number>,
  ctx: Context,
  env: Env,
): void {
  const self = ctx.self;
  const before = { place: state.place, view: state.view, predecessor: predecessorIn(state, self) };
  const successorBefore = before.place === "spare" ? null : successorOf(before.view, self);
  state.view = { ...view, chain: [...(view.chain ?? [])] };
  state.holders = holders;
  // A process restarted under a member's name is someone else: it takes no place (the master will see its new incarnation).
  state.place = holders.get(self) === state.incarnation ? placeOf(view, self) : "spare";
  state.ackedViewNum = view.viewNum;
  if (state.place === "spare") clearAll(state);
  else if (state.place === "joining") {
    if (before.place !== "joining" || before.predecessor !== predecessorIn(state, self)) clearAll(state);
  } else takeMemberPlace(state, before.place, before.predecessor, successorBefore, ctx, env);
  rereadInNewView(state, ctx, env);
  announce(state, before.place, ctx);
  ackPredecessor(state, ctx);
  forwardNew(state, ctx, env);
}

function takeMemberPlace(
  state: ChainServerState,
  placeBefore: Place,
  predecessorBefore: Address | null,
  successorBefore: Address | null,
  ctx: Context,
  env: Env,
): void {
  // The first view's only member is the first server ever: it starts empty.
  if (state.app === null && state.view.viewNum === 1) {
    state.app = emptyApp();
    state.stable = 0;
  }
  const app = state.app;
  if (app === null)
    return ctx.log.warn(
      { view: describeView(state.view) },
      "a place in the chain without state: serving nothing",
    );
  if (predecessorIn(state, ctx.self) !== predecessorBefore) state.buffered.clear(); // the new predecessor resends
  const successor = successorOf(state.view, ctx.self);
  // Linked in, the joining server installed the state (its last acks to us may be lost).
  if (!isTailPlace(state.place)) {
    state.outgoing = null;
    state.handoverAt = null;
  }
  if (successor === successorBefore && placeBefore !== "joining") return;
  if (successor === null) return becomeTail(state, placeBefore, ctx);
  if (successor === state.view.joining) return startTransfer(state, app, ctx, env);
  if (placeBefore === "joining") return;
  // Relinked past a lost server: the new successor may lack anything in the Sent list.
  resetLink(state, state.sentBase);
  if (!env.decide.keepsSentOnRelink) {
    state.sent = [];
    state.sentBase = app.applied;
    resetLink(state, app.applied);
  }
}

/**
 * No successor any more: this server is the tail. What its Sent list holds
 * may never have reached the tail it replaces, so it answers those clients
 * (from its session table, which keeps each client's last update) now.
 */
function becomeTail(state: ChainServerState, placeBefore: Place, ctx: Context): void {
  const app = state.app!;
  // A tail handing over answered nothing after its mark (the joiner was to).
  if ((!isTailPlace(placeBefore) && placeBefore !== "joining") || state.handoverAt !== null)
    for (const entry of state.sent) {
      if (entry.type === "expire") continue;
      if (entry.type === "register") {
        const open = app.lastByClient.get(entry.client);
        if (open !== undefined) answerApplied(state, entry, { ok: true, session: open.id }, ctx);
        continue;
      }
      const cached = cachedResult(app, entry.client, entry.seq, entry.op);
      if (cached !== undefined) answerApplied(state, entry, cached, ctx);
    }
  state.sent = [];
  state.sentBase = app.applied;
  resetLink(state, app.applied);
  state.outgoing = null;
  state.joinerIncarnation = null;
  state.stable = app.applied;
  state.handoverAt = null;
}

function clearAll(state: ChainServerState): void {
  Object.assign(state, initialState(state.incarnation), {
    view: state.view,
    holders: state.holders,
    place: state.place,
    ackedViewNum: state.ackedViewNum,
    nextCheckId: state.nextCheckId,
  });
}

function announce(state: ChainServerState, placeBefore: Place, ctx: Context): void {
  ctx.emit({ type: "viewChanged", view: { ...state.view, chain: [...(state.view.chain ?? [])] } });
  if (statusRole(placeBefore) !== statusRole(state.place)) {
    ctx.log.info({ place: state.place, view: describeView(state.view) }, "place changed");
    ctx.emit({ type: "roleChanged", role: statusRole(state.place), viewNum: state.view.viewNum });
  }
}

function sendPing(state: ChainServerState, ctx: Context, env: Env): void {
  const handedOver =
    state.handoverAt !== null &&
    state.view.joining !== undefined &&
    env.decide.handsOver(state.successorHolds, state.handoverAt);
  ctx.send(masterAddress, {
    type: "Ping",
    viewNum: state.ackedViewNum,
    incarnation: state.incarnation,
    handedOver,
  });
}

/** The role `kv status` and the events name: the head as primary, other members as backups, the rest idle. */
function statusRole(place: Place): "primary" | "backup" | "idle" {
  if (place === "head" || place === "single") return "primary";
  return place === "middle" || place === "tail" ? "backup" : "idle";
}

function serverInvariants(state: ChainServerState): void {
  const applied = state.app?.applied ?? null;
  if (state.place === "spare") assert(state.app === null && state.sent.length === 0, "a spare holds nothing");
  if (applied !== null) {
    assert(
      state.sentBase + state.sent.length === applied,
      "the Sent list runs up to the last position applied",
    );
    assert(state.forwardedUpTo <= applied, "nothing is forwarded before it is applied");
    assert(state.app!.lastByClient.size <= sessionsMax, "the session table is bounded");
  } else assert(state.sent.length === 0, "a server without state sends nothing");
  if (state.incoming !== null) assert(state.app === null, "a transfer is received only without state");
  if (state.outgoing !== null)
    assert(isTailPlace(state.place) && state.view.joining !== undefined, "only a tail sends a transfer");
  if (state.place !== "joining" && applied === null)
    assert(state.buffered.size === 0, "only a joining server holds positions without state");
}

function serverStatus(state: ChainServerState): NodeStatus {
  const app = state.app;
  return {
    role: statusRole(state.place),
    viewNum: state.view.viewNum,
    applied: app?.applied ?? 0,
    keys: app?.store.size ?? 0,
    storeBytes: app === null ? 0 : storeEncodedBytes(app.store),
    sessions: app?.lastByClient.size ?? 0,
    transferChunksAcked: state.outgoing?.acked ?? null,
    figures: { place: state.place, sent: state.sent.length, stable: state.stable },
  };
}

function describeServer(state: ChainServerState): string {
  const app = state.app;
  const data = app === null ? "no state" : `applied ${app.applied}, ${app.store.size} keys`;
  const sent = state.sent.length > 0 ? `, sent ${state.sent.length}` : "";
  const transfer = state.outgoing === null ? "" : `, transferring (${state.outgoing.acked} chunks acked)`;
  return `${state.place} in ${describeView(state.view)}, ${data}${sent}, stable ${state.stable}${transfer}`;
}
