import { assert } from "../../actors/assert.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import { type Address, isClientAddress, viewServerAddress } from "../../schemas/address.js";
import type { View } from "../../schemas/view.js";
import type { BodyOf, ForwardEntry, MessageType } from "./messages.js";

// The benchmark's ceiling: the path of a replicated operation (client →
// primary → backup → primary → client) through the same actor host,
// topology, envelopes, JSON and zod validation as pbkv, with no protocol
// logic. The relay primary forwards each client Request to the relay backup
// as a one-entry Forward and answers the client when the backup echoes a
// ForwardAck; a fixed "view server" tells clients where the primary is, so
// the protocol's own client actor drives all three benchmarked systems alike.
// Pure like the protocol actors: everything goes through the context. It
// speaks pb's messages on purpose (it is the ceiling of a benchmark of pb), so
// it lives here and drivers reach it through `pbProtocol.bench.relay`.

/** The one view of a relay cluster. */
export const relayView: View = Object.freeze({ viewNum: 1, primary: "server-1", backup: "server-2" });
/** Most requests the relay primary waits on; beyond that the oldest is forgotten (its client retries). */
export const relayWaitingMax = 4_096;

// ---------------------------------------------------------------- state

export interface RelayPrimaryState {
  /** Numbers the next Forward, so that the backup's echo finds its request. */
  nextIndex: number;
  /** Requests forwarded and not yet echoed, by Forward index, oldest first. */
  waiting: Map<number, RelayEntry>;
  /**
   * The seq each client has in `waiting`: a client's retry of a request still
   * on its way is not relayed again, as pbkv does not forward it twice, or a
   * slow ceiling would bury itself in retries.
   */
  relayingByClient: Map<Address, number>;
}

type RelayEntry = Extract<ForwardEntry, { type: "op" }>;

export type RelayBackupState = { echoed: number };
export type RelayViewServerState = { answered: number };

// ---------------------------------------------------------------- init

/** What a relay actor does with the message types it serves. */
type RelayHandlers<State> = {
  [T in MessageType]?: (state: State, body: BodyOf<T>, message: Message, ctx: Context) => void;
};

/**
 * The frame all three relay actors share. Unlike the protocol actors they have
 * no exhaustive switch: each serves one or two message types and logs and
 * drops every other, so a new message type asks for no decision here. No
 * timers, and the one fixed view.
 */
function relayActor<State>(
  actor: Pick<ActorDefinition<State>, "kind" | "init" | "invariants" | "describe"> & {
    handlers: RelayHandlers<State>;
  },
): ActorDefinition<State> {
  const { handlers, ...rest } = actor;
  return {
    ...rest,
    onMessage: (state, message, ctx) =>
      dispatch(handlers, state, message.body.type, message.body, message, ctx),
    onTimer: () => {},
    viewNum: () => relayView.viewNum,
  };
}

export function createRelayPrimary(): ActorDefinition<RelayPrimaryState> {
  return relayActor({
    kind: "server",
    init: () => ({ nextIndex: 1, waiting: new Map(), relayingByClient: new Map() }),
    handlers: { RegisterClient: onRelayRegister, Request: onRelayRequest, ForwardAck: onRelayForwardAck },
    invariants(state) {
      assert(state.waiting.size <= relayWaitingMax, "the relay primary's waiting list is bounded");
      assert(state.relayingByClient.size <= state.waiting.size, "a client relays only what waits");
    },
    describe: (state) => `relay primary, ${state.waiting.size} waiting, next @${state.nextIndex}`,
  });
}

export function createRelayBackup(): ActorDefinition<RelayBackupState> {
  return relayActor({
    kind: "server",
    init: () => ({ echoed: 0 }),
    handlers: { Forward: onRelayForward },
    invariants: () => {},
    describe: (state) => `relay backup, ${state.echoed} echoed`,
  });
}

export function createRelayViewServer(): ActorDefinition<RelayViewServerState> {
  return relayActor({
    kind: "viewserver",
    init: () => ({ answered: 0 }),
    handlers: { GetView: onRelayGetView },
    invariants: () => {},
    describe: (state) => `relay view server, ${state.answered} views given`,
  });
}

/** The relay actor that runs at `address`; null when a relay cluster has no node there. */
export function relayDefinitionFor(address: Address): ActorDefinition<unknown> | null {
  const definition =
    address === viewServerAddress
      ? createRelayViewServer()
      : address === relayView.primary
        ? createRelayPrimary()
        : address === relayView.backup
          ? createRelayBackup()
          : null;
  return definition as ActorDefinition<unknown> | null;
}

// ---------------------------------------------------------------- message handlers

function onRelayRequest(
  state: RelayPrimaryState,
  request: BodyOf<"Request">,
  message: Message,
  ctx: Context,
): void {
  const client = message.from;
  const backup = relayView.backup;
  if (!isClientAddress(client) || backup === null) return ignore(message, ctx);
  if (state.relayingByClient.get(client) === request.seq) return; // a retry of what is on its way
  if (state.waiting.size >= relayWaitingMax) {
    const oldest = state.waiting.keys().next();
    if (oldest.done !== true) forget(state, oldest.value);
  }
  const index = state.nextIndex;
  state.nextIndex += 1;
  const entry: RelayEntry = {
    type: "op",
    client,
    session: request.session,
    seq: request.seq,
    op: request.op,
    atMs: 0,
  };
  state.waiting.set(index, entry);
  state.relayingByClient.set(client, request.seq);
  ctx.send(backup, { type: "Forward", firstIndex: index, entries: [entry] });
}

/** Every client gets session 1 at once: the ceiling keeps no sessions. */
function onRelayRegister(
  _state: RelayPrimaryState,
  register: BodyOf<"RegisterClient">,
  message: Message,
  ctx: Context,
): void {
  ctx.send(message.from, { type: "RegisterReply", seq: register.seq, result: { ok: true, session: 1 } });
}

function onRelayForwardAck(
  state: RelayPrimaryState,
  ack: BodyOf<"ForwardAck">,
  _message: Message,
  ctx: Context,
): void {
  const entry = forget(state, ack.index);
  if (entry === undefined) return; // a duplicate echo, or forgotten
  ctx.send(entry.client, { type: "Reply", seq: entry.seq, result: { ok: true, value: "" } });
}

function onRelayForward(
  state: RelayBackupState,
  forward: BodyOf<"Forward">,
  message: Message,
  ctx: Context,
): void {
  state.echoed += forward.entries.length;
  ctx.send(message.from, { type: "ForwardAck", index: forward.firstIndex + forward.entries.length - 1 });
}

function onRelayGetView(
  state: RelayViewServerState,
  _getView: BodyOf<"GetView">,
  message: Message,
  ctx: Context,
): void {
  state.answered += 1;
  ctx.send(message.from, { type: "ViewReply", view: { ...relayView }, primaryIncarnation: null });
}

// ---------------------------------------------------------------- helpers

/** Drops a waiting request; returns it, or undefined when it was not waiting. */
function forget(state: RelayPrimaryState, index: number): RelayEntry | undefined {
  const entry = state.waiting.get(index);
  if (entry === undefined) return undefined;
  state.waiting.delete(index);
  if (state.relayingByClient.get(entry.client) === entry.seq) state.relayingByClient.delete(entry.client);
  return entry;
}

/**
 * Hands a message to its type's handler. Generic in the type so that the
 * handler found and the body it gets agree for the compiler.
 */
function dispatch<State, T extends MessageType>(
  handlers: RelayHandlers<State>,
  state: State,
  type: T,
  body: BodyOf<T>,
  message: Message,
  ctx: Context,
): void {
  const handler = handlers[type];
  if (handler === undefined) return ignore(message, ctx);
  handler(state, body, message, ctx);
}

function ignore(message: Message, ctx: Context): void {
  ctx.log.warn({ from: message.from, type: message.body.type }, "relay actor ignores this message");
}
