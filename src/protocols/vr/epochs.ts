import type { Context } from "./actor.js";
import type { Env } from "./env.js";
import { adoptFetched, startFetch } from "./fetch.js";
import { executeCommitted } from "./log.js";
import { describeMembers, quorumOf, replicaAddress, sameMembers } from "./members.js";
import { notPrimary } from "./replies.js";
import type { BodyOf, EpochStart, ReconfigEntry } from "./messages.js";
import { entryAt, isMember, isPrimary, type ReplicaState, viewPrimary } from "./state.js";
import { announceAsPrimary } from "./viewChange.js";
import { toMembers, toReplica } from "./wire.js";

// Epochs (VR Revisited §7; docs/VR.md, "Reconfiguration"). A reconfiguration
// is a log entry: when a replica executes it, the replica moves to the new
// epoch, as a member (normal in the epoch's first view: it holds the state the
// epoch starts with) or removed. The old primary sends StartEpoch to the new
// members; they fetch the state up to the entry from the old replicas and say
// EpochStarted to the removed ones, which serve fetches until f'+1 of them
// have, and then stop. A replica that hears of a later epoch asks for it
// (GetEpoch) and catches up the same way.

/** Ticks between a removed replica's StartEpochs to the members that have not said EpochStarted. */
const startEpochResendTicks = 5;

/** Executed in log order: a reconfiguration this replica has not moved past. */
export function epochCommitted(
  state: ReplicaState,
  entry: ReconfigEntry,
  op: number,
  ctx: Context,
  env: Env,
): void {
  if (entry.epoch <= state.epoch) return;
  const announces = state.status === "normal" && isPrimary(state);
  const old = state.members;
  const waiting = announces ? state.awaitingEpoch : [];
  // The old group hears the commit at once, in the old view (they execute the entry and move on).
  if (announces) toMembers(state, ctx, { type: "Commit", commitNumber: state.commitNumber });
  adoptEpoch(state, entry.epoch, entry.members, { op, view: entry.startView, oldMembers: old });
  if (announces)
    sendStartEpoch(
      state,
      ctx,
      entry.members.filter((member) => !old.includes(member)),
    );
  if (isMember(state)) enterEpoch(state, ctx);
  else becomeRemoved(state, ctx, env);
  // Clients refused while the reconfiguration was under way go to the new epoch's first primary now.
  for (const client of waiting) notPrimary(state, client, ctx);
}

function adoptEpoch(state: ReplicaState, epoch: number, members: number[], start: EpochStart): void {
  state.epoch = epoch;
  state.members = [...members];
  state.epochStart = { op: start.op, view: start.view, oldMembers: [...start.oldMembers] };
  state.epochStarted = [];
  state.viewNum = start.view;
  // Views are numbered within an epoch: the old epoch's count for nothing here.
  state.lastNormal = start.view;
  state.votes = [];
  state.startViewChanges = [];
  state.pending = [];
  state.awaitingEpoch = [];
  state.prepared = [];
  state.fetch = null;
  state.silentTicks = 0;
  state.acked.fill(0);
}

/**
 * A member holding the epoch's starting state: normal in the epoch's first
 * view, acknowledging its log to that view's primary; the removed replicas
 * hear EpochStarted.
 */
function enterEpoch(state: ReplicaState, ctx: Context): void {
  state.status = "normal";
  state.lastNormal = state.viewNum;
  const primary = viewPrimary(state);
  if (primary === state.self) state.acked[state.self] = state.opNumber;
  else toReplica(state, ctx, primary, { type: "PrepareOK", opNumber: state.opNumber });
  for (const removed of removedBy(state)) toReplica(state, ctx, removed, { type: "EpochStarted" });
  ctx.emit({
    type: "roleChanged",
    role: primary === state.self ? "primary" : "backup",
    viewNum: state.viewNum,
  });
  if (primary === state.self) announceEpoch(state, ctx);
}

function announceEpoch(state: ReplicaState, ctx: Context): void {
  const { op, oldMembers } = state.epochStart;
  const reason = `epoch ${state.epoch} began at op ${op}: ${describeMembers(state.members)} (before: ${describeMembers(oldMembers)})`;
  announceAsPrimary(state, reason, ctx);
}

/** The replicas of the epoch before that this one left out. */
function removedBy(state: ReplicaState): number[] {
  return state.epochStart.oldMembers.filter((member) => !state.members.includes(member));
}

function becomeRemoved(state: ReplicaState, ctx: Context, env: Env): void {
  state.status = "removed";
  ctx.emit({ type: "roleChanged", role: "idle", viewNum: state.viewNum });
  if (env.decide.retiresAtOnce(state)) return retire(state, ctx);
  // The members that already run the epoch answer EpochStarted (theirs may have come before this).
  sendStartEpoch(state, ctx, state.members);
}

export function sendStartEpoch(state: ReplicaState, ctx: Context, to: readonly number[]): void {
  for (const replica of to)
    if (replica !== state.self)
      toReplica(state, ctx, replica, {
        type: "StartEpoch",
        members: state.members,
        epochStart: state.epochStart,
      });
}

/** Whether this replica runs its epoch with the state it starts from (it may say EpochStarted). */
export function runsEpoch(state: ReplicaState): boolean {
  return isMember(state) && (state.status === "normal" || state.status === "view-change");
}

/** A replica of a later epoch tells this one about it. */
export function onStartEpoch(
  state: ReplicaState,
  body: BodyOf<"StartEpoch">,
  from: number,
  ctx: Context,
  env: Env,
): void {
  if (body.epoch < state.epoch) return;
  if (body.epoch === state.epoch) {
    if (runsEpoch(state)) toReplica(state, ctx, from, { type: "EpochStarted" });
    return;
  }
  // A restarted replica may have run that epoch already: only the recovery protocol gives it its state back.
  if (state.status === "recovering")
    return ctx.log.debug({ epoch: body.epoch }, "recovering: StartEpoch ignored");
  // Its log holds the entry that began the epoch: it executes up to it, as the old group does.
  if (holdsEpochEntry(state, body)) {
    state.commitNumber = Math.max(state.commitNumber, body.epochStart.op);
    return executeCommitted(state, ctx, env);
  }
  // Removed from the group it ran (it heard of the epoch before executing the entry): it serves and retires.
  const removed =
    body.epoch === state.epoch + 1 && runsEpoch(state) && body.epochStart.oldMembers.includes(state.self);
  adoptEpoch(state, body.epoch, body.members, body.epochStart);
  if (!isMember(state)) {
    if (removed) return becomeRemoved(state, ctx, env);
    state.status = "spare";
    return ctx.emit({ type: "roleChanged", role: "idle", viewNum: state.viewNum });
  }
  state.status = "transitioning";
  env.decide.fetchEpochState(state, from, ctx, env);
}

/**
 * Whether this replica, running the epoch before, holds the very entry that
 * began the announced epoch (its op-number, epoch, first view and members:
 * one primary made it in one view). StartEpoch is sent only once that entry
 * committed, and logs pass whole from view to view, so every entry up to it
 * in this log is committed. Executing them lets a removed replica serve the
 * state the epoch starts with (simulator seed 152: the old primary committed
 * and crashed; the removed replicas that had not heard its Commit served only
 * up to the entry before, and the new members never got the epoch's state).
 */
function holdsEpochEntry(state: ReplicaState, body: BodyOf<"StartEpoch">): boolean {
  const op = body.epochStart.op;
  if (body.epoch !== state.epoch + 1 || !runsEpoch(state)) return false;
  if (op <= state.app.applied || op > state.opNumber || op <= state.logStart) return false;
  const entry = entryAt(state, op);
  return (
    entry.type === "reconfig" &&
    entry.epoch === body.epoch &&
    entry.startView === body.epochStart.view &&
    sameMembers(entry.members, body.members)
  );
}

/** The correct way in: fetch the log (or a snapshot) up to the epoch's start from the replica that said it. */
export function fetchEpochState(state: ReplicaState, source: number, ctx: Context, env: Env): void {
  if (state.commitNumber >= state.epochStart.op) return finishEpochFetch(state, ctx, env);
  startFetch(state, "epoch", source, state.epochStart.op, ctx);
}

/** The fetch for a new epoch is complete (or was not needed): the member runs the epoch. */
export function finishEpochFetch(state: ReplicaState, ctx: Context, env: Env): void {
  if (state.fetch !== null) adoptFetched(state, state.fetch);
  state.fetch = null;
  const epoch = state.epoch;
  executeCommitted(state, ctx, env);
  // The fetched log may hold a later epoch's reconfiguration: executing it moved the replica on.
  if (state.epoch === epoch && state.status === "transitioning") enterEpoch(state, ctx);
}

/** A replica behind this one's epoch asks for it. */
export function onGetEpoch(state: ReplicaState, body: BodyOf<"GetEpoch">, from: number, ctx: Context): void {
  if (body.epoch >= state.epoch || state.status === "recovering") return;
  sendStartEpoch(state, ctx, [from]);
}

/** A removed replica hears that a member holds the epoch's state; with f'+1 it stops. */
export function onEpochStarted(
  state: ReplicaState,
  body: BodyOf<"EpochStarted">,
  from: number,
  ctx: Context,
): void {
  if (state.status !== "removed" || body.epoch !== state.epoch || !isMember(state, from)) return;
  if (!state.epochStarted.includes(from)) state.epochStarted.push(from);
  if (state.epochStarted.length >= quorumOf(state.members)) retire(state, ctx);
}

/** A removed replica is done: it takes no more part (the broker's host stops its process). */
export function retire(state: ReplicaState, ctx: Context): void {
  state.status = "retired";
  state.outgoing = null;
  ctx.emit({
    type: "retired",
    epoch: state.epoch,
    reason: `removed in epoch ${state.epoch}; ${state.epochStarted.map(replicaAddress).join(", ") || "no member"} said EpochStarted`,
  });
}

/** Every tick: a removed replica resends StartEpoch to the members that have not said EpochStarted. */
export function removedTick(state: ReplicaState, ctx: Context): void {
  state.silentTicks += 1;
  if (state.silentTicks % startEpochResendTicks !== 0) return;
  sendStartEpoch(
    state,
    ctx,
    state.members.filter((member) => !state.epochStarted.includes(member)),
  );
}
