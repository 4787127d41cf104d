import type { EntryResult } from "../../kv/atMostOnce.js";
import type { Address } from "../../schemas/address.js";
import type { Op } from "../../schemas/op.js";
import type { Context } from "./actor.js";
import type { ChainEntry, NotServed } from "./messages.js";
import type { ChainServerState } from "./state.js";

// What servers answer clients. Only an answer of the tail to an operation is
// `served` (one tail per view, checked by every driver, src/sim/served.ts);
// the head's answer to a retry of an update the tail already applied repeats
// what the tail said.

/** The tail applied `entry`: its client hears the result (an expire entry has none). */
export function answerApplied(
  state: ChainServerState,
  entry: ChainEntry,
  result: EntryResult,
  ctx: Context,
): void {
  if (entry.type === "expire") return;
  if (entry.type === "op") {
    if ("session" in result) return;
    return answerOp(state, entry.client, entry.seq, entry.op, result, ctx);
  }
  if ("session" in result) ctx.send(entry.client, { type: "RegisterReply", seq: entry.seq, result });
}

export function answerOp(
  state: ChainServerState,
  client: Address,
  seq: number,
  op: Op,
  result: Exclude<EntryResult, { session: number }>,
  ctx: Context,
): void {
  ctx.emit({ type: "served", viewNum: state.view.viewNum, client, seq, op });
  ctx.send(client, { type: "Reply", seq, result });
}

/** The head repeats the tail's answer to a retried update (not `served`: the tail served it). */
export function repeatAnswer(
  client: Address,
  seq: number,
  result: Exclude<EntryResult, { session: number }>,
  ctx: Context,
): void {
  ctx.send(client, { type: "Reply", seq, result });
}

export function refuse(
  client: Address,
  seq: number,
  error: NotServed | "SessionExpired",
  ctx: Context,
): void {
  ctx.send(client, { type: "Reply", seq, result: { ok: false, error } });
}

export function refuseRegister(client: Address, seq: number, error: NotServed, ctx: Context): void {
  ctx.send(client, { type: "RegisterReply", seq, result: { ok: false, error } });
}
