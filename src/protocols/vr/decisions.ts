import type { Context } from "./actor.js";
import type { Env, VrDecisions } from "./env.js";
import { fetchEpochState } from "./epochs.js";
import { unexecutedReconfiguration } from "./log.js";
import { primaryOf, quorumOf } from "./members.js";
import type { ReplicaState, ViewChangeVote } from "./state.js";
import { toReplica } from "./wire.js";

// The correct protocol's decisions (env.ts says why they are named).

/**
 * The (q-1)-th highest op-number the other members acknowledged: with the
 * primary's own, a quorum holds it. A reconfiguration waits besides until the
 * next group can run: its members that hold the entry, with the new ones
 * (which fetch the state), make a quorum of it (docs/VR.md: shrinking a
 * group while some of its members recover would leave it without one).
 */
function commitPoint(state: ReplicaState, config: Env["config"]): number {
  return commitPointCounting(state, config, probed);
}

/** Whether new member `member` counts as up for the reconfiguration at `op`: it answered EpochProbe. */
function probed(state: ReplicaState, member: number, op: number): boolean {
  return state.acked[member]! >= op;
}

/** commitPoint, with `upNew` saying which new members count as up (plantedBugs.ts plants another). */
export function commitPointCounting(
  state: ReplicaState,
  _config: Env["config"],
  upNew: (state: ReplicaState, member: number, op: number) => boolean,
): number {
  const needed = quorumOf(state.members) - 1;
  let point = state.opNumber;
  if (needed > 0) {
    const others = state.members
      .filter((member) => member !== state.self)
      .map((member) => state.acked[member]!)
      .sort((a, b) => b - a);
    point = Math.min(others[needed - 1]!, state.opNumber);
  }
  for (let op = state.commitNumber + 1; op <= point; op++) {
    const entry = state.log[op - state.logStart - 1]!;
    if (entry.type === "reconfig" && !nextGroupCanRun(state, entry.members, op, upNew)) return op - 1;
  }
  return point;
}

function nextGroupCanRun(
  state: ReplicaState,
  members: readonly number[],
  op: number,
  upNew: (state: ReplicaState, member: number, op: number) => boolean,
): boolean {
  // A member of this epoch holds the entry; a new one is up (it answered EpochProbe, probes.ts).
  const ready = members.filter((member) =>
    state.members.includes(member)
      ? member === state.self || state.acked[member]! >= op
      : upNew(state, member, op),
  );
  return ready.length >= quorumOf(members);
}

function bestVote(votes: readonly ViewChangeVote[]): ViewChangeVote {
  let best = votes[0]!;
  for (const vote of votes)
    if (
      vote.lastNormal > best.lastNormal ||
      (vote.lastNormal === best.lastNormal && vote.opNumber > best.opNumber)
    )
      best = vote;
  return best;
}

/** The correct answer to a later view: ask its primary for StartView, take nothing from it meanwhile. */
function laterView(state: ReplicaState, viewNum: number, ctx: Context, _env: Env): boolean {
  const primary = primaryOf(viewNum, state.members);
  toReplica(state, ctx, primary, { type: "GetStartView", commitNumber: state.commitNumber });
  return true;
}

/** No request after a reconfiguration in the log, queued or logged and not executed: the next epoch takes them. */
function takesRequests(state: ReplicaState): boolean {
  if (state.pending.some((request) => request.type === "reconfig")) return false;
  return unexecutedReconfiguration(state) === null;
}

export const correctDecisions: VrDecisions = {
  commitPoint,
  bestVote,
  acceptsFromPrimary: (state, viewNum) => state.status === "normal" && viewNum === state.viewNum,
  answersRecovery: (state, nonce) => nonce === state.nonce,
  readNow: () => null,
  laterView,
  takesRequests,
  fetchEpochState,
  retiresAtOnce: () => false,
};
