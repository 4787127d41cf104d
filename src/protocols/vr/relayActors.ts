import { assert } from "../../actors/assert.js";
import type { LogEntry } from "../../kv/atMostOnce.js";
import { type Address, isClientAddress } from "../../schemas/address.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import { replicaAddress } from "./members.js";

// The benchmark's ceiling for VR: the path of a replicated operation
// (client → primary → both backups → primary → client, answered on the first
// PrepareOK, as a 3-replica primary commits) through the same actor host,
// topology, envelopes, JSON and zod validation, with none of VR's logic. The
// relay primary is server-1, the primary of view 0, where VR's own client
// looks first. Pure like the protocol actors.

/** Most requests the relay primary waits on; beyond that the oldest is forgotten (its client retries). */
export const vrRelayWaitingMax = 4_096;
/** The relay cluster: a primary and two backups. */
export const vrRelayServers = 3;

type RelayEntry = Extract<LogEntry, { type: "op" }>;

export interface VrRelayPrimaryState {
  nextOp: number;
  /** Requests relayed and not yet acknowledged, by op-number, oldest first. */
  waiting: Map<number, RelayEntry>;
  /** The seq each client has in `waiting` (a retry of a request on its way is not relayed again). */
  relayingByClient: Map<Address, number>;
}

export type VrRelayBackupState = { acked: number };

function relayFrame<State>(
  kind: string,
  init: () => State,
  onMessage: (state: State, message: Message, ctx: Context) => void,
  describe: (state: State) => string,
  invariants: (state: State) => void = () => {},
): ActorDefinition<State> {
  return { kind, init, onMessage, onTimer: () => {}, viewNum: () => 0, invariants, describe };
}

export function createVrRelayPrimary(): ActorDefinition<VrRelayPrimaryState> {
  return relayFrame(
    "replica",
    () => ({ nextOp: 1, waiting: new Map(), relayingByClient: new Map() }),
    onPrimaryMessage,
    (state) => `relay primary, ${state.waiting.size} waiting, next op ${state.nextOp}`,
    (state) => assert(state.waiting.size <= vrRelayWaitingMax, "the relay primary's waiting list is bounded"),
  );
}

export function createVrRelayBackup(): ActorDefinition<VrRelayBackupState> {
  return relayFrame(
    "replica",
    () => ({ acked: 0 }),
    (state, message, ctx) => {
      if (message.body.type !== "Prepare") return ignore(message, ctx);
      state.acked += message.body.entries.length;
      ctx.send(message.from, {
        type: "PrepareOK",
        epoch: 0,
        opNumber: message.body.firstOp + message.body.entries.length - 1,
      });
    },
    (state) => `relay backup, ${state.acked} acknowledged`,
  );
}

function onPrimaryMessage(state: VrRelayPrimaryState, message: Message, ctx: Context): void {
  const body = message.body;
  const client = message.from;
  if (body.type === "RegisterClient" && isClientAddress(client))
    return ctx.send(client, { type: "RegisterReply", seq: body.seq, result: { ok: true, session: 1 } });
  if (body.type === "PrepareOK") {
    const entry = forget(state, body.opNumber);
    if (entry !== undefined)
      ctx.send(entry.client, { type: "Reply", seq: entry.seq, result: { ok: true, value: "" } });
    return;
  }
  if (body.type !== "Request" || !isClientAddress(client)) return ignore(message, ctx);
  if (state.relayingByClient.get(client) === body.seq) return; // a retry of what is on its way
  if (state.waiting.size >= vrRelayWaitingMax) forget(state, state.waiting.keys().next().value!);
  const op = state.nextOp;
  state.nextOp += 1;
  const entry: RelayEntry = {
    type: "op",
    client,
    session: body.session,
    seq: body.seq,
    op: body.op,
    atMs: 0,
  };
  state.waiting.set(op, entry);
  state.relayingByClient.set(client, body.seq);
  for (let i = 1; i < vrRelayServers; i++)
    ctx.send(replicaAddress(i), {
      type: "Prepare",
      epoch: 0,
      firstOp: op,
      entries: [entry],
      commitNumber: 0,
    });
}

function forget(state: VrRelayPrimaryState, op: number): RelayEntry | undefined {
  const entry = state.waiting.get(op);
  if (entry === undefined) return undefined;
  state.waiting.delete(op);
  if (state.relayingByClient.get(entry.client) === entry.seq) state.relayingByClient.delete(entry.client);
  return entry;
}

function ignore(message: Message, ctx: Context): void {
  ctx.log.warn({ from: message.from, type: message.body.type }, "relay actor ignores this message");
}

/** The relay actor at `address`; null when a relay cluster has no node there. */
export function vrRelayAt(address: Address): ActorDefinition<unknown> | null {
  if (address === replicaAddress(0)) return createVrRelayPrimary() as ActorDefinition<unknown>;
  for (let i = 1; i < vrRelayServers; i++)
    if (address === replicaAddress(i)) return createVrRelayBackup() as ActorDefinition<unknown>;
  return null;
}
