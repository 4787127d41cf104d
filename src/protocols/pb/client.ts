import { isServerAddress, viewServerAddress } from "../../schemas/address.js";
import type { BodyOf } from "./messages.js";
import { type Op } from "../../schemas/op.js";
import type { Timer } from "./timers.js";
import type { View } from "../../schemas/view.js";
import { assert, assertNever } from "../../actors/assert.js";
import { beginOperation, finishOperation } from "../clientSession.js";
import type { ProtocolConfig } from "./config.js";
import type { ClientDefinition, Context, Message } from "./actor.js";
import { describeOp, describeView } from "./describe.js";

// A client (DESIGN §1): one outstanding operation, numbered for the
// at-most-once layer, retried until it succeeds. The view is cached and asked
// for again only on a timeout or an error, so the view server is not flooded.
// A client address must be used by one process only: a restarted client would
// start its numbering again and be answered from the at-most-once table.
// Before its first operation the client opens a session (RegisterClient, Raft
// §6.3); when the servers answer SessionExpired it reports the operation's
// outcome as unknown (an earlier attempt may have run) and opens a new one
// for the next. After half the expiry without an answer it opens one again
// before sending: an idle client then never meets SessionExpired.

// ---------------------------------------------------------------- state

export interface ClientState {
  view: View | null;
  /** The number of the latest operation invoked. */
  seq: number;
  current: { seq: number; op: Op } | null;
  /** A GetView went out in this retry round; at most one per round. */
  viewRequested: boolean;
  /** The session the servers opened for this client; null before the first and after SessionExpired. */
  session: number | null;
  /** When this client last had an answer in its session (its own clock). */
  sessionHeardMs: number;
}

// ---------------------------------------------------------------- init

export function createClient(config: ProtocolConfig): ClientDefinition<ClientState> {
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
        case "Ping":
        case "GetView":
        case "RegisterClient":
        case "Request":
        case "Forward":
        case "ForwardAck":
        case "ForwardReject":
        case "StateTransfer":
        case "StateTransferAck":
          ctx.log.warn({ from: message.from, type: body.type }, "client ignores this message type");
          return;
        default:
          return assertNever(body, "message body");
      }
    },
    onTimer(state, timer, ctx) {
      switch (timer.type) {
        case "ClientRetryTimer":
          return onClientRetryTimer(state, timer.seq, ctx, config);
        case "PingTimer":
        case "PingCheckTimer":
          return;
        default:
          return assertNever(timer satisfies Timer, "timer");
      }
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

// ---------------------------------------------------------------- message handlers

function onViewReply(state: ClientState, reply: BodyOf<"ViewReply">, message: Message, ctx: Context): void {
  if (message.from !== viewServerAddress) return;
  if (state.view !== null && reply.view.viewNum <= state.view.viewNum) return;
  const primaryBefore = state.view?.primary ?? null;
  state.view = { ...reply.view };
  if (state.current !== null && state.view.primary !== primaryBefore) sendRequest(state, ctx);
}

function onRegisterReply(
  state: ClientState,
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
    sendRequest(state, ctx);
    return;
  }
  // Wrong server or stale view: ask once now; NotReady and Busy wait for the timer.
  if (reply.result.error === "NotPrimary" || reply.result.error === "WrongView") requestView(state, ctx);
}

function onReply(state: ClientState, reply: BodyOf<"Reply">, message: Message, ctx: Context): void {
  const current = state.current;
  if (!isServerAddress(message.from) || current === null || reply.seq !== current.seq) return;
  if (state.session === null) return; // answers a request of a session this client left
  if (reply.result.ok) return finishOperation(state, ctx, reply.result.value);
  // Final (refused, nothing changed) or unknown (the session was forgotten).
  if (reply.result.error === "ValueTooLarge" || reply.result.error === "SessionExpired")
    return finishOperation(state, ctx, "", reply.result.error);
  // Wrong server or stale view: ask once now; NotReady and Busy wait for the timer.
  if (reply.result.error === "NotPrimary" || reply.result.error === "WrongView") requestView(state, ctx);
}

// ---------------------------------------------------------------- timer handlers

function onClientRetryTimer(state: ClientState, seq: number, ctx: Context, config: ProtocolConfig): void {
  if (state.current === null || state.current.seq !== seq) return; // answered meanwhile
  state.viewRequested = false;
  requestView(state, ctx);
  sendRequest(state, ctx);
  ctx.setTimer({ type: "ClientRetryTimer", seq }, config.clientRetryMs);
}

// ---------------------------------------------------------------- helpers

function sendRequest(state: ClientState, ctx: Context): void {
  const current = state.current;
  if (current === null) return;
  const primary = state.view?.primary ?? null;
  if (primary === null) return requestView(state, ctx);
  if (state.session === null) ctx.send(primary, { type: "RegisterClient", seq: current.seq });
  else ctx.send(primary, { type: "Request", session: state.session, seq: current.seq, op: current.op });
}

function requestView(state: ClientState, ctx: Context): void {
  if (state.viewRequested) return;
  state.viewRequested = true;
  ctx.send(viewServerAddress, { type: "GetView" });
}
