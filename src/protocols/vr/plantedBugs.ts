import type { VrMutation } from "./config.js";
import { commitPointCounting } from "./decisions.js";
import type { VrDecisions } from "./env.js";
import { finishEpochFetch } from "./epochs.js";
import { startFetch } from "./fetch.js";
import { installBase } from "./log.js";
import { primaryOf, quorumOf } from "./members.js";

// Planted bugs (`--mutation`, VrConfig.mutations): each replaces one decision
// of the correct protocol (decisions.ts) by a wrong one. The model checker's
// table of which search catches each is search/mutants.ts.

const bugs: Readonly<Record<VrMutation, Partial<VrDecisions>>> = {
  // Commits with one acknowledgement fewer than a quorum (with f = 1: on its own log alone).
  commitWithoutQuorum: {
    commitPoint: (state) => {
      const needed = quorumOf(state.members) - 2;
      if (needed <= 0) return state.opNumber;
      const others = state.members
        .filter((member) => member !== state.self)
        .map((member) => state.acked[member]!)
        .sort((a, b) => b - a);
      return Math.min(others[needed - 1]!, state.opNumber);
    },
  },
  // Takes the longest log, whatever view it was last normal in (of equally long ones, the last to
  // arrive: the new primary's own vote comes first, so a tie goes to another replica's log; with
  // one batch uncommitted at a time and two clients, a stale log is rarely strictly longer).
  doViewChangePicksLongestLog: {
    bestVote: (votes) => votes.reduce((best, vote) => (vote.opNumber >= best.opNumber ? vote : best)),
  },
  // Takes Prepares and Commits of an earlier view (a deposed primary's).
  acceptOldViewPrepare: {
    acceptsFromPrimary: (state, viewNum) => state.status === "normal" && viewNum <= state.viewNum,
  },
  // Counts any RecoveryResponse, an answer to an earlier attempt included.
  recoveryWithoutNonce: { answersRecovery: () => true },
  // The primary answers reads from its own application at once (a deposed one answers stale values).
  readsWithoutCommit: {
    readNow: (state, key) => state.app.store.get(key) ?? "",
  },
  // The paper's rule (Vanlightly's trace): on a later view's message, truncate the
  // log to the commit-number, adopt that view as normal, and fetch the rest.
  truncOnNewerView: {
    laterView: (state, viewNum, ctx) => {
      state.log = state.log.slice(0, state.commitNumber - state.logStart);
      state.opNumber = state.commitNumber;
      state.viewNum = viewNum;
      state.status = "normal";
      state.lastNormal = viewNum;
      state.fetch = null;
      startFetch(state, "catchUp", primaryOf(viewNum, state.members), null, ctx);
      return false;
    },
  },
  // A removed replica stops as soon as it executes the reconfiguration, before f'+1 new members
  // said EpochStarted: when every old replica is removed, nobody is left to give the state.
  reconfRemovedStopsEarly: { retiresAtOnce: () => true },
  // A new member runs the epoch at once, as if it held the state up to the epoch's start: it
  // counts those entries as executed with the application it has (empty, for a new replica).
  reconfNewMemberServesUnfetched: {
    fetchEpochState: (state, _source, ctx, env) => {
      installBase(state, { ...state.app, applied: state.epochStart.op }, []);
      finishEpochFetch(state, ctx, env);
    },
  },
  // The commit of a reconfiguration counts every new member as up, unprobed: one that is down
  // or recovering, beside another member of the next group down, leaves that group without a
  // quorum for good (simulator seeds 866 and 606).
  reconfCountsUnprobed: {
    commitPoint: (state, config) => commitPointCounting(state, config, true),
  },
  // The primary keeps taking requests after it logged a reconfiguration: they are committed in
  // the old epoch, after the point the new one starts from, and answered, then lost.
  oldPrimaryTakesRequestsAfterReconf: { takesRequests: () => true },
};

export function plantedVrBugs(mutations: readonly VrMutation[]): Partial<VrDecisions> {
  return Object.assign({}, ...mutations.map((mutation) => bugs[mutation]));
}
