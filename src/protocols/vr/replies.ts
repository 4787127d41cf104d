import type { EntryResult, LogEntry } from "../../kv/atMostOnce.js";
import type { Address } from "../../schemas/address.js";
import type { Context } from "./actor.js";
import type { ReplicaState } from "./state.js";

// What the primary answers its clients: the result of an executed entry
// (and the `served` event every driver checks one primary per view with).

export function answer(client: Address, seq: number, result: EntryResult, ctx: Context): void {
  if ("session" in result) ctx.send(client, { type: "RegisterReply", seq, result });
  else ctx.send(client, { type: "Reply", seq, result });
}

/** The primary executed `entry`: its client hears the result. */
export function answerCommitted(
  state: ReplicaState,
  entry: LogEntry,
  result: EntryResult,
  ctx: Context,
): void {
  if (entry.type === "expire") return;
  if (entry.type === "op")
    ctx.emit({ type: "served", viewNum: state.viewNum, client: entry.client, seq: entry.seq, op: entry.op });
  answer(entry.client, entry.seq, result, ctx);
}
