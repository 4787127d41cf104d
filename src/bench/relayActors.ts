import { assert, assertNever } from "../actors/assert.js";
import type { ActorDefinition, Context, Message } from "../actors/context.js";
import { type Address, isClientAddress, viewServerAddress } from "../schemas/address.js";
import type { BodyOf, ForwardEntry } from "../schemas/messages.js";
import type { View } from "../schemas/view.js";

// The benchmark's ceiling: the path of a replicated operation (client →
// primary → backup → primary → client) through the same actor host,
// topology, envelopes, JSON and zod validation as pbkv, with no protocol
// logic. The relay primary forwards each client Request to the relay backup
// as a one-entry Forward and answers the client when the backup echoes a
// ForwardAck; a fixed "view server" tells clients where the primary is, so
// the protocol's own client actor drives all three benchmarked systems alike.
// Pure like the protocol actors: everything goes through the context.

/** The one view of a relay cluster. */
export const relayView: View = Object.freeze({ viewNum: 1, primary: "server-1", backup: "server-2" });
/** Most requests the relay primary waits on; beyond that the oldest is forgotten (its client retries). */
export const relayWaitingMax = 4_096;

// ---------------------------------------------------------------- state

export interface RelayPrimaryState {
  /** Numbers the next Forward, so that the backup's echo finds its request. */
  nextIndex: number;
  /** Requests forwarded and not yet echoed, by Forward index, oldest first. */
  waiting: Map<number, ForwardEntry>;
  /**
   * The seq each client has in `waiting`: a client's retry of a request still
   * on its way is not relayed again, as pbkv does not forward it twice, or a
   * slow ceiling would bury itself in retries.
   */
  relayingByClient: Map<Address, number>;
}

export type RelayBackupState = { echoed: number };
export type RelayViewServerState = { answered: number };

// ---------------------------------------------------------------- init

export function createRelayPrimary(): ActorDefinition<RelayPrimaryState> {
  return {
    kind: "server",
    init: () => ({ nextIndex: 1, waiting: new Map(), relayingByClient: new Map() }),
    onMessage(state, message, ctx) {
      const body = message.body;
      switch (body.type) {
        case "Request":
          return onRelayRequest(state, body, message, ctx);
        case "ForwardAck":
          return onRelayForwardAck(state, body, ctx);
        case "Ping":
        case "GetView":
        case "ViewReply":
        case "Reply":
        case "Forward":
        case "ForwardReject":
        case "StateTransfer":
        case "StateTransferAck":
          return ignore(message, ctx);
        default:
          return assertNever(body, "message body");
      }
    },
    onTimer: () => {},
    viewNum: () => relayView.viewNum,
    invariants(state) {
      assert(state.waiting.size <= relayWaitingMax, "the relay primary's waiting list is bounded");
      assert(state.relayingByClient.size <= state.waiting.size, "a client relays only what waits");
    },
    describe: (state) => `relay primary, ${state.waiting.size} waiting, next @${state.nextIndex}`,
  };
}

export function createRelayBackup(): ActorDefinition<RelayBackupState> {
  return {
    kind: "server",
    init: () => ({ echoed: 0 }),
    onMessage(state, message, ctx) {
      const body = message.body;
      switch (body.type) {
        case "Forward":
          return onRelayForward(state, body, message, ctx);
        case "Ping":
        case "GetView":
        case "ViewReply":
        case "Request":
        case "Reply":
        case "ForwardAck":
        case "ForwardReject":
        case "StateTransfer":
        case "StateTransferAck":
          return ignore(message, ctx);
        default:
          return assertNever(body, "message body");
      }
    },
    onTimer: () => {},
    viewNum: () => relayView.viewNum,
    invariants: () => {},
    describe: (state) => `relay backup, ${state.echoed} echoed`,
  };
}

export function createRelayViewServer(): ActorDefinition<RelayViewServerState> {
  return {
    kind: "viewserver",
    init: () => ({ answered: 0 }),
    onMessage(state, message, ctx) {
      const body = message.body;
      switch (body.type) {
        case "GetView":
          return onRelayGetView(state, message, ctx);
        case "Ping":
        case "ViewReply":
        case "Request":
        case "Reply":
        case "Forward":
        case "ForwardAck":
        case "ForwardReject":
        case "StateTransfer":
        case "StateTransferAck":
          return ignore(message, ctx);
        default:
          return assertNever(body, "message body");
      }
    },
    onTimer: () => {},
    viewNum: () => relayView.viewNum,
    invariants: () => {},
    describe: (state) => `relay view server, ${state.answered} views given`,
  };
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
  const entry: ForwardEntry = { client, seq: request.seq, op: request.op };
  state.waiting.set(index, entry);
  state.relayingByClient.set(client, request.seq);
  ctx.send(backup, { type: "Forward", firstIndex: index, entries: [entry] });
}

function onRelayForwardAck(state: RelayPrimaryState, ack: BodyOf<"ForwardAck">, ctx: Context): void {
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

function onRelayGetView(state: RelayViewServerState, message: Message, ctx: Context): void {
  state.answered += 1;
  ctx.send(message.from, { type: "ViewReply", view: { ...relayView }, primaryIncarnation: null });
}

// ---------------------------------------------------------------- helpers

/** Drops a waiting request; returns it, or undefined when it was not waiting. */
function forget(state: RelayPrimaryState, index: number): ForwardEntry | undefined {
  const entry = state.waiting.get(index);
  if (entry === undefined) return undefined;
  state.waiting.delete(index);
  if (state.relayingByClient.get(entry.client) === entry.seq) state.relayingByClient.delete(entry.client);
  return entry;
}

function ignore(message: Message, ctx: Context): void {
  ctx.log.warn({ from: message.from, type: message.body.type }, "relay actor ignores this message");
}
