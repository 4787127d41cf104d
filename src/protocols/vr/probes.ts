import type { Context } from "./actor.js";
import { unexecutedReconfigurationOp } from "./log.js";
import type { BodyOf, ReconfigEntry } from "./messages.js";
import { sendStartEpoch } from "./epochs.js";
import { entryAt, type ReplicaState } from "./state.js";
import { toReplica } from "./wire.js";

// Probing the new members of a logged reconfiguration. The commit rule
// (decisions.ts) commits a reconfiguration only once a quorum of the next
// group can run it: members of this epoch that hold the entry, and new
// members that answered EpochProbe (they fetch the state once the epoch
// starts). A new member that is down no longer counts as able: naming one
// while another member of the next group is down would leave that group
// short of a quorum, with nobody able to bring it back (simulator seed 866).

/** Primary: EpochProbe to each new member of the logged reconfiguration that has not answered it. */
export function probeNewMembers(state: ReplicaState, ctx: Context): void {
  const op = unexecutedReconfigurationOp(state);
  if (op === null) return;
  for (const member of (entryAt(state, op) as ReconfigEntry).members)
    if (!state.members.includes(member) && state.acked[member]! < op)
      toReplica(state, ctx, member, { type: "EpochProbe", op });
}

/**
 * A replica that is up answers (a spare, a removed or retired replica: it
 * will fetch the state), unless it runs a later epoch than the prober's,
 * which then hears of it, or it is recovering: one that lost its state may
 * have taken part in a later epoch, so on hearing StartEpoch it recovers
 * within it, which takes a normal primary of that epoch (simulator seed
 * 606: a restarted new member counted, the epoch began with two of its
 * three members recovering and never ran). Once its recovery finds it a
 * spare, it answers.
 */
export function onEpochProbe(
  state: ReplicaState,
  body: BodyOf<"EpochProbe">,
  from: number,
  ctx: Context,
): void {
  if (body.epoch < state.epoch) return sendStartEpoch(state, ctx, [from]);
  if (state.status === "recovering")
    return ctx.log.debug({ from, op: body.op }, "EpochProbe while recovering: answered once recovered");
  toReplica(state, ctx, from, { type: "EpochProbeOK", op: body.op });
}
