import type { Address } from "../../schemas/address.js";
import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import { describeMembers, membersProblem, sameMembers } from "./members.js";
import type { BodyOf } from "./messages.js";
import { unexecutedReconfiguration } from "./log.js";
import { prepareNext } from "./normal.js";
import { notPrimary } from "./replies.js";
import { isPrimary, type ReplicaState } from "./state.js";

// The operator's requests (VR Revisited §7.1): Reconfigure goes through
// normal processing as a log entry; from the moment the primary logs it, the
// epoch takes no more client requests (normal.ts). CheckEpoch is logged in
// the epoch it asks about and answered when it executes there, so its answer
// proves that epoch runs. Only the operator role sends them (the broker
// stamps senders; a client's Reconfigure is refused by the caller).

export function onReconfigure(
  state: ReplicaState,
  body: BodyOf<"Reconfigure">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  const refuse = (error: "StaleEpoch" | "Reconfiguring" | "Invalid", reason: string) =>
    ctx.send(message.from, { type: "ReconfigureReply", seq: body.seq, result: { ok: false, error, reason } });
  if (body.epoch < state.epoch) {
    // Asked again after it was done, or an operator behind: say where the group is.
    if (body.epoch === state.epoch - 1 && sameMembers(body.members, state.members))
      return accepted(state, body, message.from, ctx);
    notPrimary(state, message.from, ctx);
    return refuse(
      "StaleEpoch",
      `the group is in epoch ${state.epoch} (${describeMembers(state.members)}), not ${body.epoch}`,
    );
  }
  // Not the primary of the epoch asked about: the operator hears where the group is.
  if (state.status !== "normal" || !isPrimary(state) || body.epoch > state.epoch)
    return notPrimary(state, message.from, ctx);
  const logged = loggedReconfiguration(state);
  if (logged !== null) {
    if (sameMembers(logged, body.members)) return accepted(state, body, message.from, ctx);
    return refuse("Reconfiguring", `a reconfiguration to ${describeMembers(logged)} is under way`);
  }
  const problem =
    membersProblem(body.members) ??
    (sameMembers(body.members, state.members) ? "these are the members already" : null);
  if (problem !== null) return refuse("Invalid", problem);
  state.pending.push({ type: "reconfig", members: [...body.members] });
  prepareNext(state, ctx, env);
  accepted(state, body, message.from, ctx);
}

function accepted(state: ReplicaState, body: BodyOf<"Reconfigure">, operator: Address, ctx: Context): void {
  ctx.send(operator, {
    type: "ReconfigureReply",
    seq: body.seq,
    result: { ok: true, epoch: Math.max(state.epoch, body.epoch + 1), members: body.members },
  });
}

/** The members of a reconfiguration queued or logged and not yet executed, or null. */
function loggedReconfiguration(state: ReplicaState): number[] | null {
  for (const request of state.pending) if (request.type === "reconfig") return request.members;
  return unexecutedReconfiguration(state)?.members ?? null;
}

/** The primary of the epoch asked about logs the check (once per operator request); the others say where the group is. */
export function onCheckEpoch(
  state: ReplicaState,
  body: BodyOf<"CheckEpoch">,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (state.status !== "normal" || !isPrimary(state) || body.epoch !== state.epoch)
    return notPrimary(state, message.from, ctx);
  if (!env.decide.takesRequests(state)) return; // this epoch is ending: the check is the next one's
  const same = (entry: { type: string; client?: string; seq?: number }) =>
    entry.type === "check" && entry.client === message.from && entry.seq === body.seq;
  if (state.pending.some(same) || state.log.slice(state.app.applied - state.logStart).some(same)) return;
  state.pending.push({ type: "check", client: message.from, seq: body.seq });
  prepareNext(state, ctx, env);
}
