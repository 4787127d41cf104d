import { batchBytesMax } from "../../schemas/limits.js";
import type { Context, Message } from "./actor.js";
import type { Env, Slice } from "./env.js";
import { adoptFetched, startFetch } from "./fetch.js";
import { entriesAfter, entrySize, executeCommitted } from "./log.js";
import type { BodyOf } from "./messages.js";
import { answerCommitted } from "./replies.js";
import { primaryOf, quorumOf, replicaAddress } from "./members.js";
import {
  entryAt,
  isMember,
  isPrimary,
  type ReplicaState,
  type ViewChangeVote,
  viewPrimary,
} from "./state.js";
import { toMembers, toReplica } from "./wire.js";

// View change (the paper's §4.2). A replica that suspects the primary, or
// hears of a later view, stops normal processing and sends StartViewChange;
// with f of them for its view it sends its log's uncommitted part to the new
// primary (DoViewChange); with f+1 of those the new primary takes the log of
// the largest last-normal view, then the largest op-number, and sends
// StartView. A replica adopts a view only with that view's log in hand: the
// entries from StartView, or fetched from the new primary when its own
// commit-number is too far behind (docs/VR.md: never the paper's truncation).
// Only the members of the replica's epoch take part, and only those holding
// its state (not recovering, not transitioning into it).

/** Whether this replica takes part in its epoch's view changes. */
function takesPart(state: ReplicaState): boolean {
  return (state.status === "normal" || state.status === "view-change") && isMember(state);
}

/** StartViewChanges from others a replica needs before it votes: with its own, a quorum. */
function othersNeeded(state: ReplicaState): number {
  return quorumOf(state.members) - 1;
}

export function startViewChange(state: ReplicaState, viewNum: number, ctx: Context): void {
  state.viewNum = viewNum;
  state.status = "view-change";
  state.startViewChanges = [];
  state.votes = [];
  state.fetch = null;
  state.pending = [];
  state.awaitingEpoch = [];
  state.prepared = [];
  state.silentTicks = 0;
  if (isPrimary(state)) state.votes.push(ownVote(state));
  toMembers(state, ctx, { type: "StartViewChange" });
}

function ownVote(state: ReplicaState): ViewChangeVote {
  return {
    from: state.self,
    lastNormal: state.lastNormal,
    opNumber: state.opNumber,
    commitNumber: state.commitNumber,
    after: state.commitNumber,
    entries: entriesAfter(state, state.commitNumber),
  };
}

export function onStartViewChange(
  state: ReplicaState,
  from: number,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (!takesPart(state) || !isMember(state, from) || message.viewNum < state.viewNum) return;
  if (message.viewNum > state.viewNum) startViewChange(state, message.viewNum, ctx);
  else if (state.status === "normal") {
    // A replica that missed this view's StartView: the primary tells it again.
    if (isPrimary(state)) sendStartView(state, from, 0, ctx);
    return;
  }
  if (state.startViewChanges.includes(from)) return;
  state.startViewChanges.push(from);
  if (state.startViewChanges.length === othersNeeded(state)) sendDoViewChange(state, ctx, env);
}

/** With f StartViewChanges for its view, a replica sends its DoViewChange (again on each tick until the view starts). */
export function sendDoViewChange(state: ReplicaState, ctx: Context, env: Env): void {
  if (isPrimary(state)) return tallyVotes(state, ctx, env);
  const { from: _self, ...vote } = ownVote(state);
  toReplica(state, ctx, viewPrimary(state), { type: "DoViewChange", ...vote });
}

export function onDoViewChange(
  state: ReplicaState,
  body: BodyOf<"DoViewChange">,
  from: number,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (!takesPart(state) || !isMember(state, from) || message.viewNum < state.viewNum) return;
  if (message.viewNum > state.viewNum) startViewChange(state, message.viewNum, ctx);
  if (!isPrimary(state)) return;
  if (state.status === "normal") return sendStartView(state, from, body.commitNumber, ctx);
  if (state.fetch !== null) return; // the votes are counted; the log is being fetched
  const { type: _type, ...fields } = body;
  state.votes = state.votes.filter((vote) => vote.from !== from);
  state.votes.push({ from, ...fields });
  tallyVotes(state, ctx, env);
}

/** With f+1 votes (its own included) the new primary picks the log, fetches what it lacks, and starts the view. */
function tallyVotes(state: ReplicaState, ctx: Context, env: Env): void {
  if (state.votes.length < quorumOf(state.members) || state.fetch !== null) return;
  const best = env.decide.bestVote(state.votes);
  if (state.commitNumber < best.commitNumber)
    return startFetch(state, "newPrimary", best.from, best.commitNumber, ctx);
  startView(state, ctx, env);
}

/** The new primary's log: its committed entries, then the chosen vote's after them. */
export function startView(state: ReplicaState, ctx: Context, env: Env): void {
  if (state.fetch !== null) {
    adoptFetched(state, state.fetch);
    state.fetch = null;
  }
  const best = env.decide.bestVote(state.votes);
  const highestCommit = Math.max(...state.votes.map((vote) => vote.commitNumber));
  // Entries up to the chosen vote's commit-number are committed: a fetch for them may end with this
  // replica's own commit-number still below it (a NewState the source sent before its commits moved on).
  const keep = Math.max(state.commitNumber, best.after);
  state.log = state.log.slice(0, keep - state.logStart).concat(best.entries.slice(keep - best.after));
  state.opNumber = Math.max(keep, best.opNumber);
  const knownCommit = Math.min(...state.votes.map((vote) => vote.commitNumber));
  state.commitNumber = Math.min(Math.max(keep, highestCommit), state.opNumber);
  announceView(state, best, ctx);
  becomeNormal(state, ctx);
  state.acked = state.acked.map((_, i) => (i === state.self ? state.opNumber : 0));
  // The uncommitted tail it took is one Prepare out (StartView carries it; resends go as a Prepare).
  const tail = entriesAfter(state, state.commitNumber);
  state.prepared =
    tail.length === 0
      ? []
      : [{ end: state.opNumber, bytes: tail.reduce((sum, entry) => sum + entrySize(entry), 0) }];
  // StartView carries the tail; whoever missed it gets it again at the first tick, as before.
  state.preparedAtLastTick = state.opNumber;
  for (const member of state.members)
    if (member !== state.self) sendStartView(state, member, knownCommit, ctx);
  executeCommitted(state, ctx, env, (entry, result) => answerCommitted(state, entry, result, ctx));
}

/** The new primary says why the view is what it is (nobody else knows which log won). */
function announceView(state: ReplicaState, best: ViewChangeVote, ctx: Context): void {
  const voters = state.votes.map((vote) => replicaAddress(vote.from)).join(", ");
  announceAsPrimary(
    state,
    `${voters} moved on from view ${best.lastNormal}; the log of ${replicaAddress(best.from)} (last normal view ${best.lastNormal}, op ${best.opNumber}) won, commit ${state.commitNumber}`,
    ctx,
  );
}

/** This replica, normal primary of its view, says so and why (the `viewChanged` event). */
export function announceAsPrimary(state: ReplicaState, reason: string, ctx: Context): void {
  ctx.emit({
    type: "viewChanged",
    view: {
      viewNum: state.viewNum,
      primary: replicaAddress(state.self),
      backup: null,
      replicas: state.members.map(replicaAddress),
      status: "normal",
      epoch: state.epoch,
    },
    reason,
  });
}

function becomeNormal(state: ReplicaState, ctx: Context): void {
  state.status = "normal";
  state.lastNormal = state.viewNum;
  state.votes = [];
  state.startViewChanges = [];
  state.pending = [];
  state.awaitingEpoch = [];
  state.silentTicks = 0;
  ctx.emit({ type: "roleChanged", role: isPrimary(state) ? "primary" : "backup", viewNum: state.viewNum });
}

/**
 * StartView for replica `to`: the log after the lower of its commit-number
 * (as far as known) and the primary's, cut from the front to fit a message;
 * every entry after the primary's commit-number is always in.
 */
export function sendStartView(state: ReplicaState, to: number, knownCommit: number, ctx: Context): void {
  const slice = startViewSlice(state, knownCommit);
  toReplica(state, ctx, to, {
    type: "StartView",
    opNumber: state.opNumber,
    commitNumber: state.commitNumber,
    ...slice,
  });
}

function startViewSlice(state: ReplicaState, knownCommit: number): Slice {
  const lowest = Math.max(state.logStart, Math.min(knownCommit, state.commitNumber));
  let after = state.opNumber;
  let bytes = 0;
  while (after > lowest) {
    const size = entrySize(entryAt(state, after));
    if (after <= state.commitNumber && bytes + size > batchBytesMax) break;
    bytes += size;
    after -= 1;
  }
  return { after, entries: entriesAfter(state, after) };
}

/** A replica takes a view's StartView: directly when it holds the committed entries before the slice, else by fetching. */
export function onStartView(
  state: ReplicaState,
  body: BodyOf<"StartView">,
  from: number,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (!takesPart(state) || message.viewNum < state.viewNum) return;
  if (message.viewNum === state.viewNum && state.status === "normal") return;
  if (from !== primaryOf(message.viewNum, state.members)) return;
  if (state.commitNumber > body.opNumber)
    return ctx.log.warn({ from: message.from }, "StartView behind this replica's commits: ignored");
  state.viewNum = message.viewNum;
  if (state.commitNumber < body.after) {
    // Too far behind: keep the old log (and last-normal view) until the new one is fetched whole.
    state.status = "view-change";
    state.votes = [];
    state.startViewChanges = [];
    state.silentTicks = 0;
    if (state.fetch?.purpose !== "startView" || state.fetch.viewNum !== state.viewNum)
      startFetch(state, "startView", from, body.opNumber, ctx);
    return;
  }
  state.fetch = null;
  state.log = state.log
    .slice(0, state.commitNumber - state.logStart)
    .concat(body.entries.slice(state.commitNumber - body.after));
  state.opNumber = body.opNumber;
  joinView(state, body.commitNumber, ctx, env);
}

/** A backup with the view's log: normal, acknowledging its log, executing what is committed. */
export function joinView(state: ReplicaState, commitNumber: number, ctx: Context, env: Env): void {
  becomeNormal(state, ctx);
  state.commitNumber = Math.max(state.commitNumber, Math.min(commitNumber, state.opNumber));
  const primary = viewPrimary(state);
  if (primary === state.self) state.acked[state.self] = state.opNumber;
  else toReplica(state, ctx, primary, { type: "PrepareOK", opNumber: state.opNumber });
  executeCommitted(state, ctx, env);
}

/** The fetch for a StartView is complete. */
export function finishStartViewFetch(state: ReplicaState, ctx: Context, env: Env): void {
  const fetch = state.fetch!;
  adoptFetched(state, fetch);
  state.fetch = null;
  joinView(state, fetch.commitNumber, ctx, env);
}

/** A primary hears from a replica of an earlier view asking for this view's StartView. */
export function onGetStartView(
  state: ReplicaState,
  body: BodyOf<"GetStartView">,
  from: number,
  message: Message,
  ctx: Context,
): void {
  if (state.status !== "normal" || !isPrimary(state) || message.viewNum >= state.viewNum) return;
  if (!isMember(state, from)) return;
  sendStartView(state, from, body.commitNumber, ctx);
}

/** Every tick in view-change: resend; after the timeout, the next view if a quorum is in this one (its primary is slow or dead). */
export function viewChangeTick(state: ReplicaState, ctx: Context, env: Env): void {
  state.silentTicks += 1;
  if (state.silentTicks * env.config.tickMs >= env.config.viewChangeTimeoutMs) {
    if (state.startViewChanges.length >= othersNeeded(state))
      return startViewChange(state, state.viewNum + 1, ctx);
    state.silentTicks = 0;
  }
  if (state.fetch !== null) return;
  toMembers(state, ctx, { type: "StartViewChange" });
  if (state.startViewChanges.length >= othersNeeded(state)) sendDoViewChange(state, ctx, env);
}
