import type { Context } from "./actor.js";
import { faultsTolerated } from "./config.js";
import type { Env, VrDecisions } from "./env.js";
import { primaryOf, replicaAddress, type ReplicaState, type ViewChangeVote } from "./state.js";

// The correct protocol's decisions (env.ts says why they are named).

/** The f-th highest op-number the other replicas acknowledged: with the primary's own, a quorum holds it. */
function commitPoint(state: ReplicaState, config: Env["config"]): number {
  const f = faultsTolerated(config);
  if (f === 0) return state.opNumber;
  const others = state.acked.filter((_, i) => i !== state.self).sort((a, b) => b - a);
  return Math.min(others[f - 1]!, state.opNumber);
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
  const primary = primaryOf(viewNum, state.replicas);
  ctx.send(replicaAddress(primary), { type: "GetStartView", commitNumber: state.commitNumber });
  return true;
}

export const correctDecisions: VrDecisions = {
  commitPoint,
  bestVote,
  acceptsFromPrimary: (state, viewNum) => state.status === "normal" && viewNum === state.viewNum,
  answersRecovery: (state, nonce) => nonce === state.nonce,
  readNow: () => null,
  laterView,
};
