import type { EntryResult } from "../../kv/atMostOnce.js";
import type { Address } from "../../schemas/address.js";
import type { Context } from "./actor.js";
import { unexecutedReconfiguration } from "./log.js";
import type { VrEntry } from "./messages.js";
import type { ReplicaState } from "./state.js";

// What the primary answers its clients: the result of an executed entry
// (and the `served` event every driver checks one primary per view with),
// and where the group is (ViewReport) when it cannot answer.

export function answer(client: Address, seq: number, result: EntryResult, ctx: Context): void {
  if ("session" in result) ctx.send(client, { type: "RegisterReply", seq, result });
  else ctx.send(client, { type: "Reply", seq, result });
}

/** The primary executed `entry` (`result`: the application's answer, null for a reconfiguration or a check). */
export function answerCommitted(
  state: ReplicaState,
  entry: VrEntry,
  result: EntryResult | null,
  ctx: Context,
): void {
  if (entry.type === "expire" || entry.type === "reconfig" || !answersClients(state)) return;
  if (entry.type === "check") {
    const { epoch, members } = state;
    return ctx.send(entry.client, { type: "EpochRunning", seq: entry.seq, epoch, members });
  }
  if (result === null) return;
  if (entry.type === "op")
    ctx.emit({ type: "served", viewNum: state.viewNum, client: entry.client, seq: entry.seq, op: entry.op });
  answer(entry.client, entry.seq, result, ctx);
}

/**
 * A view of an epoch whose log holds the next epoch's reconfiguration, later
 * than the view that logged it, answers no client: the next epoch's views
 * start at that view's number plus one, and only one primary answers in a
 * view. Its clients retry and get the cached result from the next epoch.
 */
function answersClients(state: ReplicaState): boolean {
  const next = unexecutedReconfiguration(state);
  return next === null || next.startView > state.viewNum;
}

/** A client or the operator asked a replica that is not the primary: where the group is. */
export function notPrimary(state: ReplicaState, to: Address, ctx: Context): void {
  ctx.send(to, {
    type: "NotPrimary",
    epoch: state.epoch,
    members: state.members,
    normal: state.status === "normal",
  });
}

/** Where this replica stands: the answer to GetView. */
export function reportView(state: ReplicaState, to: Address, ctx: Context): void {
  ctx.send(to, {
    type: "ViewReport",
    viewNum: state.viewNum,
    epoch: state.epoch,
    members: state.members,
    status: state.status,
    opNumber: state.opNumber,
    commitNumber: state.commitNumber,
  });
}
