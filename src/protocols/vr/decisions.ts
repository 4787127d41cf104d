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
 * that answered EpochProbe (probes.ts; they fetch the state), make a quorum
 * of it (docs/VR.md: shrinking a group while some of its members recover
 * would leave it without one).
 */
function commitPoint(state: ReplicaState, config: Env["config"]): number {
  return commitPointCounting(state, config, false);
}

/** commitPoint; `countsUnprobed`: every new member counts as up (the planted bug reconfCountsUnprobed). */
export function commitPointCounting(
  state: ReplicaState,
  _config: Env["config"],
  countsUnprobed: boolean,
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
    if (entry.type === "reconfig" && !nextGroupCanRun(state, entry.members, op, countsUnprobed))
      return op - 1;
  }
  return point;
}

function nextGroupCanRun(
  state: ReplicaState,
  members: readonly number[],
  op: number,
  countsUnprobed: boolean,
): boolean {
  // acked: a member of this epoch holds the entry (PrepareOK), a new one is up (EpochProbeOK).
  const ready = members.filter(
    (member) =>
      member === state.self ||
      state.acked[member]! >= op ||
      (countsUnprobed && !state.members.includes(member)),
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
