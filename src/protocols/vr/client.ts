import { assert, assertNever } from "../../actors/assert.js";
import { beginOperation, finishOperation } from "../clientSession.js";
import { describeOp, type Op } from "../../schemas/op.js";
import type { ClientDefinition, Context, Message } from "./actor.js";
import { slotsOf, type VrConfig } from "./config.js";
import { firstMembers, primaryOf, replicaAddress, replicaIndex } from "./members.js";
import type { BodyOf } from "./messages.js";

// A VR client (the paper's §4.1): it knows the configuration, not the view;
// it sends to the primary of the latest view it heard of, and after a
// timeout to every member: the primary answers, the others say where the
// group is (NotPrimary: view, epoch, members), so the client finds the primary with no view server and follows
// reconfigurations. One outstanding operation, numbered for the
// at-most-once layer, in a session opened first (RegisterClient), as pb's
// client does.

/** Retries to the members the client knows before it also asks every slot of the configuration. */
const retriesBeforeEverySlot = 3;

export interface VrClientState {
  /** The latest epoch the client heard of, its members, and the latest view in it. */
  epoch: number;
  members: number[];
  viewNum: number;
  seq: number;
  current: { seq: number; op: Op } | null;
  session: number | null;
  /** When this client last had an answer in its session (its own clock). */
  sessionHeardMs: number;
  /** A replica has answered: until then the client asks every replica (it does not know the view). */
  heard: boolean;
  /** Retries of the outstanding operation so far. */
  retries: number;
  /** Requests of the outstanding operation sent again at once to a member behind the client's epoch. */
  bounces: number;
}

/**
 * A member of the client's epoch that answers from an earlier one has not
 * executed the reconfiguration yet (the old primary's Commit is on its way):
 * asked again at once, this many times per operation, instead of after the
 * retry timer.
 */
const bouncesMax = 3;

export function createVrClient(config: VrConfig): ClientDefinition<VrClientState> {
  return {
    kind: "client",
    init: () => ({
      epoch: 0,
      members: firstMembers(config.replicas),
      viewNum: 0,
      seq: 0,
      current: null,
      session: null,
      sessionHeardMs: 0,
      heard: false,
      retries: 0,
      bounces: 0,
    }),
    invoke(state, op, ctx) {
      if (!beginOperation(state, op, ctx, config.sessionExpiryMs)) return;
      state.retries = 0;
      state.bounces = 0;
      send(state, ctx, state.heard ? [primaryOf(state.viewNum, state.members)] : state.members);
      ctx.setTimer({ type: "ClientRetryTimer", seq: state.seq }, config.clientRetryMs);
    },
    isBusy: (state) => state.current !== null,
    onMessage(state, message, ctx) {
      const body = message.body;
      if (replicaIndex(message.from) === null) return;
      switch (body.type) {
        case "Reply":
        case "RegisterReply":
          return onAnswer(state, body, message, ctx);
        case "NotPrimary":
          return onNotPrimary(state, body, message, ctx);
        default:
          return ctx.log.debug({ from: message.from, type: body.type }, "client ignores this message type");
      }
    },
    onTimer(state, timer, ctx) {
      if (timer.type !== "ClientRetryTimer") return;
      if (state.current === null || state.current.seq !== timer.seq) return;
      state.retries += 1;
      // Every member it knows may have been removed: then it asks every slot too.
      send(state, ctx, state.retries > retriesBeforeEverySlot ? everySlot(state, config) : state.members);
      ctx.setTimer(timer, config.clientRetryMs);
    },
    viewNum: (state) => state.viewNum,
    invariants(state) {
      if (state.current !== null) assert(state.current.seq === state.seq, "the outstanding op is the latest");
    },
    describe: (state) =>
      `${state.epoch === 0 ? "" : `epoch ${state.epoch} `}view ${state.viewNum}, ${state.session === null ? "no session" : `session ${state.session}`}, ${
        state.current === null ? "idle" : `waiting #${state.current.seq} ${describeOp(state.current.op)}`
      }`,
  };
}

function everySlot(state: VrClientState, config: VrConfig): number[] {
  return [...new Set([...firstMembers(slotsOf(config)), ...state.members])].sort((a, b) => a - b);
}

/**
 * Where the group is, from a replica that is not the primary: a later epoch
 * (its members and view), or a later view of the client's epoch. The
 * outstanding operation goes to that view's primary.
 */
function onNotPrimary(
  state: VrClientState,
  body: BodyOf<"NotPrimary">,
  message: Message,
  ctx: Context,
): void {
  // A later view of the same epoch counts only from a normal replica (one changing views may not reach it).
  const laterView = body.epoch === state.epoch && body.normal && message.viewNum > state.viewNum;
  const from = replicaIndex(message.from)!;
  if (body.epoch < state.epoch && state.members.includes(from) && state.bounces < bouncesMax) {
    state.bounces += 1;
    return send(state, ctx, [from]);
  }
  if (body.epoch <= state.epoch && !laterView) return;
  state.epoch = body.epoch;
  state.members = [...body.members];
  state.viewNum = message.viewNum;
  state.heard = true;
  send(state, ctx, [primaryOf(state.viewNum, state.members)]);
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
): void {
  state.heard = true;
  const current = state.current;
  if (current === null || body.seq !== current.seq) return;
  if (!body.result.ok) return onError(state, body.result.error, ctx);
  if (body.type === "RegisterReply") {
    if (state.session !== null) return; // a duplicate: the session is open
    state.session = (body.result as { session: number }).session;
    state.sessionHeardMs = ctx.now();
    return send(state, ctx, [primaryOf(state.viewNum, state.members)]);
  }
  if (state.session === null) return; // answers a request of a session this client left
  // The primary that answered: its view, if the client knows of no later one (epochs come with NotPrimary).
  if (state.members.includes(replicaIndex(message.from)!))
    state.viewNum = Math.max(state.viewNum, message.viewNum);
  finishOperation(state, ctx, (body.result as { value: string }).value);
}

function onError(
  state: VrClientState,
  error: BodyOf<"Reply">["result"] extends infer R ? (R extends { error: infer E } ? E : never) : never,
  ctx: Context,
): void {
  switch (error) {
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
