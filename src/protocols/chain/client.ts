import { assert } from "../../actors/assert.js";
import { beginOperation, finishOperation } from "../clientSession.js";
import { isServerAddress } from "../../schemas/address.js";
import { describeOp, type Op } from "../../schemas/op.js";
import { describeView, type View } from "../../schemas/view.js";
import type { ClientDefinition, Context, Message } from "./actor.js";
import type { ChainConfig } from "./config.js";
import type { BodyOf, ReplyError } from "./messages.js";
import { headOf, masterAddress, tailOf } from "./view.js";

// A chain client: updates (and the RegisterClient that opens its session) go
// to the head, reads to the tail, as the master's chain says. One
// outstanding operation, numbered for the at-most-once layer and retried
// until answered; the chain is asked for again only on a timeout or a
// refusal that says it changed (as pb's client caches its view).

export interface ChainClientState {
  view: View | null;
  seq: number;
  current: { seq: number; op: Op } | null;
  /** A GetView went out in this retry round; at most one per round. */
  viewRequested: boolean;
  session: number | null;
  /** When this client last had an answer in its session (its own clock). */
  sessionHeardMs: number;
}

export function createChainClient(config: ChainConfig): ClientDefinition<ChainClientState> {
  return {
    kind: "client",
    init: () => ({
      view: null,
      seq: 0,
      current: null,
      viewRequested: false,
      session: null,
      sessionHeardMs: 0,
    }),
    invoke(state, op, ctx) {
      if (!beginOperation(state, op, ctx, config.sessionExpiryMs)) return;
      state.viewRequested = false;
      sendRequest(state, ctx);
      ctx.setTimer({ type: "ClientRetryTimer", seq: state.seq }, config.clientRetryMs);
    },
    isBusy: (state) => state.current !== null,
    onMessage(state, message, ctx) {
      const body = message.body;
      switch (body.type) {
        case "ViewReply":
          return onViewReply(state, body, message, ctx);
        case "RegisterReply":
          return onRegisterReply(state, body, message, ctx);
        case "Reply":
          return onReply(state, body, message, ctx);
        default:
          return ctx.log.debug({ from: message.from, type: body.type }, "a client ignores this message type");
      }
    },
    onTimer(state, timer, ctx) {
      if (timer.type !== "ClientRetryTimer") return;
      if (state.current === null || state.current.seq !== timer.seq) return; // answered meanwhile
      state.viewRequested = false;
      requestView(state, ctx);
      sendRequest(state, ctx);
      ctx.setTimer(timer, config.clientRetryMs);
    },
    viewNum: (state) => state.view?.viewNum ?? 0,
    invariants(state) {
      if (state.current !== null) assert(state.current.seq === state.seq, "the outstanding op is the latest");
    },
    describe: (state) =>
      `${state.view === null ? "no view" : describeView(state.view)}, ${
        state.session === null ? "no session" : `session ${state.session}`
      }, ${state.current === null ? "idle" : `waiting #${state.current.seq} ${describeOp(state.current.op)}`}`,
  };
}

function onViewReply(
  state: ChainClientState,
  reply: BodyOf<"ViewReply">,
  message: Message,
  ctx: Context,
): void {
  if (message.from !== masterAddress) return;
  if (state.view !== null && reply.view.viewNum <= state.view.viewNum) return;
  const before = state.view === null ? null : `${headOf(state.view)} ${tailOf(state.view)}`;
  state.view = { ...reply.view, chain: [...(reply.view.chain ?? [])] };
  if (state.current !== null && `${headOf(state.view)} ${tailOf(state.view)}` !== before)
    sendRequest(state, ctx);
}

function onRegisterReply(
  state: ChainClientState,
  reply: BodyOf<"RegisterReply">,
  message: Message,
  ctx: Context,
): void {
  const current = state.current;
  if (!isServerAddress(message.from) || current === null || reply.seq !== current.seq) return;
  if (state.session !== null) return; // a duplicate: the session is open
  if (reply.result.ok) {
    state.session = reply.result.session;
    state.sessionHeardMs = ctx.now();
    return sendRequest(state, ctx);
  }
  onRefusal(state, reply.result.error, ctx);
}

function onReply(state: ChainClientState, reply: BodyOf<"Reply">, message: Message, ctx: Context): void {
  const current = state.current;
  if (!isServerAddress(message.from) || current === null || reply.seq !== current.seq) return;
  if (state.session === null) return; // answers a request of a session this client left
  const result = reply.result;
  if (result.ok) return finishOperation(state, ctx, result.value);
  // Final: the append would have made the key's value too large, and changed nothing.
  if (result.error === "ValueTooLarge") return finishOperation(state, ctx, "", "ValueTooLarge");
  if (result.error === "SessionExpired") {
    // Unknown: not run now, but an attempt before the session was forgotten may have run.
    return finishOperation(state, ctx, "", "SessionExpired");
  }
  onRefusal(state, result.error, ctx);
}

/** Wrong server or stale chain: ask the master once now; NotReady and Busy wait for the retry timer. */
function onRefusal(state: ChainClientState, error: ReplyError, ctx: Context): void {
  if (error === "NotHead" || error === "NotTail" || error === "WrongView") requestView(state, ctx);
}

function sendRequest(state: ChainClientState, ctx: Context): void {
  const current = state.current;
  if (current === null) return;
  const reads = state.session !== null && current.op.f === "get";
  const to = state.view === null ? null : reads ? tailOf(state.view) : headOf(state.view);
  if (to === null) return requestView(state, ctx);
  if (state.session === null) ctx.send(to, { type: "RegisterClient", seq: current.seq });
  else ctx.send(to, { type: "Request", session: state.session, seq: current.seq, op: current.op });
}

function requestView(state: ChainClientState, ctx: Context): void {
  if (state.viewRequested) return;
  state.viewRequested = true;
  ctx.send(masterAddress, { type: "GetView" });
}
