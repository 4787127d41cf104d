import type { Context } from "./actor.js";
import { replicaAddress } from "./members.js";
import { type ReplicaBody, replicaMessageTypes, type VrMessage } from "./messages.js";
import type { ReplicaState } from "./state.js";

// Sending between replicas: every message carries the sender's epoch, stamped
// here so no handler can forget it.

export function toReplica(state: ReplicaState, ctx: Context, to: number, body: ReplicaBody): void {
  ctx.send(replicaAddress(to), withEpoch(state.epoch, body));
}

/** The body with `epoch` second, in its schema's order: a body parsed from the wire reads the same. */
export function withEpoch(epoch: number, body: ReplicaBody): VrMessage {
  const { type, ...rest } = body;
  return { type, epoch, ...rest } as VrMessage;
}

/** To every member of the replica's epoch but itself. */
export function toMembers(state: ReplicaState, ctx: Context, body: ReplicaBody): void {
  for (const member of state.members) if (member !== state.self) toReplica(state, ctx, member, body);
}

const replicaTypes: ReadonlySet<string> = new Set(replicaMessageTypes);

export function isReplicaMessage(body: VrMessage): body is Extract<VrMessage, { epoch: number }> & {
  type: (typeof replicaMessageTypes)[number];
} {
  return replicaTypes.has(body.type);
}
