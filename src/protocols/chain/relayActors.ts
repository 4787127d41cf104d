import { assert } from "../../actors/assert.js";
import { type Address, isClientAddress, serverAddress } from "../../schemas/address.js";
import type { View } from "../../schemas/view.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import type { ChainEntry } from "./messages.js";
import { chainView, masterAddress } from "./view.js";

// The benchmark's ceiling for chain replication: the paths of its operations
// through the same actor host, topology, envelopes, JSON and zod validation,
// with none of its logic. An update: client → head → middle → tail → client,
// the tail's ChainAck going back up the chain; a read: client → tail →
// ReadCheck to the middle server → ReadCheckOk → client. A fixed master tells
// the protocol's own client where the head and tail are. One message per
// operation (the real servers batch Forwards, and reads per ReadCheck), as
// pb's and VR's relays do. Pure like the protocol actors.

/** The relay cluster: a head, a middle server and a tail. */
export const chainRelayServers = 3;
/** The one view of a relay cluster. */
export const chainRelayView: View = Object.freeze(
  chainView(
    1,
    Array.from({ length: chainRelayServers }, (_, i) => serverAddress(i + 1)),
    null,
  ),
);
/** Most operations the head, or reads the tail, waits on; beyond that the oldest is forgotten (its client retries). */
export const chainRelayWaitingMax = 4_096;

const chain = chainRelayView.chain ?? [];
const head = chain[0]!;
const middle = chain[1]!;
const tail = chain[2]!;

/** Operations relayed and not yet answered, by Forward index (head) or ReadCheck id (tail), oldest first. */
export interface ChainRelayState {
  nextNumber: number;
  waiting: Map<number, { client: Address; seq: number }>;
  /** The seq each client has in `waiting`: a retry of what is on its way is not relayed again. */
  relayingByClient: Map<Address, number>;
}

type Handler = (state: ChainRelayState, message: Message, ctx: Context) => void;

function relayFrame(role: string, onMessage: Handler): ActorDefinition<ChainRelayState> {
  return {
    kind: role === "master" ? "master" : "server",
    init: () => ({ nextNumber: 1, waiting: new Map(), relayingByClient: new Map() }),
    onMessage,
    onTimer: () => {},
    viewNum: () => chainRelayView.viewNum,
    invariants(state) {
      assert(state.waiting.size <= chainRelayWaitingMax, "a relay's waiting list is bounded");
      assert(state.relayingByClient.size <= state.waiting.size, "a client relays only what waits");
    },
    describe: (state) => `relay ${role}, ${state.waiting.size} waiting, next ${state.nextNumber}`,
  };
}

/** The master: the fixed chain to whoever asks. */
const onMaster: Handler = (_state, message, ctx) => {
  if (message.body.type !== "GetView") return ignore(message, ctx);
  ctx.send(message.from, { type: "ViewReply", view: { ...chainRelayView }, incarnations: [] });
};

/** The head: sessions at once, each update down the chain as a one-entry Forward. */
const onHead: Handler = (state, message, ctx) => {
  const body = message.body;
  const client = message.from;
  if (body.type === "RegisterClient" && isClientAddress(client))
    return ctx.send(client, { type: "RegisterReply", seq: body.seq, result: { ok: true, session: 1 } });
  if (body.type === "ChainAck") return void forget(state, body.applied);
  if (body.type !== "Request" || !isClientAddress(client) || body.op.f === "get") return ignore(message, ctx);
  const index = relay(state, client, body.seq);
  if (index === null) return;
  const entry: ChainEntry = {
    type: "op",
    client,
    session: body.session,
    seq: body.seq,
    op: body.op,
    atMs: 0,
  };
  ctx.send(middle, { type: "Forward", firstIndex: index, entries: [entry] });
};

/** The middle server: Forwards down, ChainAcks up, and the tail's ReadChecks confirmed. */
const onMiddle: Handler = (_state, message, ctx) => {
  const body = message.body;
  if (body.type === "Forward") return ctx.send(tail, body);
  if (body.type === "ChainAck") return ctx.send(head, body);
  if (body.type === "ReadCheck") return ctx.send(tail, { type: "ReadCheckOk", id: body.id });
  ignore(message, ctx);
};

/** The tail: answers each update it is forwarded, and each read once the middle server confirmed it. */
const onTail: Handler = (state, message, ctx) => {
  const body = message.body;
  const client = message.from;
  if (body.type === "Forward") {
    for (const entry of body.entries)
      if (entry.type === "op") ctx.send(entry.client, { type: "Reply", seq: entry.seq, result: okEmpty });
    const last = body.firstIndex + body.entries.length - 1;
    return ctx.send(middle, {
      type: "ChainAck",
      applied: last,
      stable: last,
      incarnation: 0,
    });
  }
  if (body.type === "ReadCheckOk") {
    const read = forget(state, body.id);
    if (read !== undefined) ctx.send(read.client, { type: "Reply", seq: read.seq, result: okEmpty });
    return;
  }
  if (body.type !== "Request" || !isClientAddress(client) || body.op.f !== "get") return ignore(message, ctx);
  const id = relay(state, client, body.seq);
  if (id !== null) ctx.send(middle, { type: "ReadCheck", id });
};

const okEmpty = { ok: true, value: "" } as const;

/** Numbers a client's operation and waits on it; null for a retry of one on its way. */
function relay(state: ChainRelayState, client: Address, seq: number): number | null {
  if (state.relayingByClient.get(client) === seq) return null;
  if (state.waiting.size >= chainRelayWaitingMax) forget(state, state.waiting.keys().next().value!);
  const number = state.nextNumber;
  state.nextNumber += 1;
  state.waiting.set(number, { client, seq });
  state.relayingByClient.set(client, seq);
  return number;
}

/** Drops a waiting operation; returns it, or undefined when it was not waiting. */
function forget(state: ChainRelayState, number: number): { client: Address; seq: number } | undefined {
  const waiting = state.waiting.get(number);
  if (waiting === undefined) return undefined;
  state.waiting.delete(number);
  if (state.relayingByClient.get(waiting.client) === waiting.seq)
    state.relayingByClient.delete(waiting.client);
  return waiting;
}

function ignore(message: Message, ctx: Context): void {
  ctx.log.warn({ from: message.from, type: message.body.type }, "relay actor ignores this message");
}

/** The relay actor at `address`; null when a relay cluster has no node there. */
export function chainRelayAt(address: Address): ActorDefinition<unknown> | null {
  const handlers: Record<Address, [string, Handler]> = {
    [masterAddress]: ["master", onMaster],
    [head]: ["head", onHead],
    [middle]: ["middle", onMiddle],
    [tail]: ["tail", onTail],
  };
  const found = handlers[address];
  return found === undefined ? null : (relayFrame(...found) as ActorDefinition<unknown>);
}
