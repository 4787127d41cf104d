import { assert, assertNever } from "../../actors/assert.js";
import { beginOperation, finishOperation } from "../clientSession.js";
import { describeOp, type Op } from "../../schemas/op.js";
import type { ClientDefinition, Context, Message } from "./actor.js";
import type { VrConfig } from "./config.js";
import type { BodyOf } from "./messages.js";
import { primaryOf, replicaAddress, replicaIndex } from "./state.js";

// A VR client (the paper's §4.1): it knows the configuration, not the view;
// it sends to the primary of the latest view it heard of, and after a
// timeout to every replica: the primary answers, the others say which view
// they are in (NotPrimary), so the client finds the primary with no view
// server. One outstanding operation, numbered for the at-most-once layer,
// in a session opened first (RegisterClient), as pb's client does.

export interface VrClientState {
  viewNum: number;
  seq: number;
  current: { seq: number; op: Op } | null;
  session: number | null;
  /** When this client last had an answer in its session (its own clock). */
  sessionHeardMs: number;
  /** A replica has answered: until then the client asks every replica (it does not know the view). */
  heard: boolean;
}

export function createVrClient(config: VrConfig): ClientDefinition<VrClientState> {
  return {
    kind: "client",
    init: () => ({ viewNum: 0, seq: 0, current: null, session: null, sessionHeardMs: 0, heard: false }),
    invoke(state, op, ctx) {
      if (!beginOperation(state, op, ctx, config.sessionExpiryMs)) return;
      send(state, ctx, state.heard ? [primaryOf(state.viewNum, config.replicas)] : everyReplica(config));
      ctx.setTimer({ type: "ClientRetryTimer", seq: state.seq }, config.clientRetryMs);
    },
    isBusy: (state) => state.current !== null,
    onMessage(state, message, ctx) {
      const body = message.body;
      if (replicaIndex(message.from, config.replicas) === null) return;
      switch (body.type) {
        case "Reply":
        case "RegisterReply":
          return onAnswer(state, body, message, ctx, config);
        default:
          return ctx.log.debug({ from: message.from, type: body.type }, "client ignores this message type");
      }
    },
    onTimer(state, timer, ctx) {
      if (timer.type !== "ClientRetryTimer") return;
      if (state.current === null || state.current.seq !== timer.seq) return;
      send(state, ctx, everyReplica(config));
      ctx.setTimer(timer, config.clientRetryMs);
    },
    viewNum: (state) => state.viewNum,
    invariants(state) {
      if (state.current !== null) assert(state.current.seq === state.seq, "the outstanding op is the latest");
    },
    describe: (state) =>
      `view ${state.viewNum}, ${state.session === null ? "no session" : `session ${state.session}`}, ${
        state.current === null ? "idle" : `waiting #${state.current.seq} ${describeOp(state.current.op)}`
      }`,
  };
}

function everyReplica(config: VrConfig): number[] {
  return [...Array(config.replicas).keys()];
}

function send(state: VrClientState, ctx: Context, replicas: readonly number[]): void {
  const current = state.current;
  if (current === null) return;
  for (const replica of replicas) {
    if (state.session === null)
      ctx.send(replicaAddress(replica), { type: "RegisterClient", seq: current.seq });
    else
      ctx.send(replicaAddress(replica), {
        type: "Request",
        session: state.session,
        seq: current.seq,
        op: current.op,
      });
  }
}

function onAnswer(
  state: VrClientState,
  body: BodyOf<"Reply"> | BodyOf<"RegisterReply">,
  message: Message,
  ctx: Context,
  config: VrConfig,
): void {
  state.heard = true;
  const current = state.current;
  if (current === null || body.seq !== current.seq) return;
  if (!body.result.ok) return onError(state, body.result.error, message, ctx, config);
  if (body.type === "RegisterReply") {
    if (state.session !== null) return; // a duplicate: the session is open
    state.session = (body.result as { session: number }).session;
    state.sessionHeardMs = ctx.now();
    return send(state, ctx, [primaryOf(state.viewNum, config.replicas)]);
  }
  if (state.session === null) return; // answers a request of a session this client left
  state.viewNum = Math.max(state.viewNum, message.viewNum);
  finishOperation(state, ctx, (body.result as { value: string }).value);
}

function onError(
  state: VrClientState,
  error: BodyOf<"Reply">["result"] extends infer R ? (R extends { error: infer E } ? E : never) : never,
  message: Message,
  ctx: Context,
  config: VrConfig,
): void {
  switch (error) {
    case "NotPrimary":
      // A replica of a later view says so: its primary is where to go.
      if (message.viewNum <= state.viewNum) return;
      state.viewNum = message.viewNum;
      return send(state, ctx, [primaryOf(state.viewNum, config.replicas)]);
    case "Busy":
      return; // the retry timer resends
    case "ValueTooLarge":
      if (state.session === null) return;
      return finishOperation(state, ctx, "", "ValueTooLarge");
    case "SessionExpired":
      if (state.session === null) return;
      return finishOperation(state, ctx, "", "SessionExpired");
    default:
      return assertNever(error, "reply error");
  }
}
