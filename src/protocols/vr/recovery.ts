import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import { adoptFetched, startFetch } from "./fetch.js";
import { unexecutedReconfiguration } from "./log.js";
import { firstMembers, primaryOf, quorumOf } from "./members.js";
import type { BodyOf } from "./messages.js";
import { isMember, type ReplicaState } from "./state.js";
import { joinView } from "./viewChange.js";
import { toReplica } from "./wire.js";

// Recovery (the paper's §4.3). Replicas have no disk: a replica that starts
// (a restart looks the same) knows nothing, takes no part in the protocol and
// asks every replica slot, with a fresh nonce. The answers name their epochs;
// it counts only those of the latest epoch it heard of. With f+1 answers from
// normal members of that epoch, the primary of the latest view among them
// included, it fetches that primary's log and state and becomes a normal
// backup. If it is not a member of that epoch, and no answer holds a
// reconfiguration it has not executed (which might name this replica), it
// becomes a spare. When f+1 of epoch 0's replicas, itself included, were
// recovering during this attempt (each answered so) and nobody knew a later
// epoch, more than f replicas held nothing at once: the cluster is new (or
// lost more than f replicas at once, which loses data, docs/VR.md), and it
// starts at view 0 with an empty log, as the others that see the same.

/** Ask every replica again (a new attempt has a new nonce). */
export function startRecovery(state: ReplicaState, ctx: Context, env: Env): void {
  state.status = "recovering";
  state.fetch = null;
  state.recoveryResponses = [];
  state.silentTicks = 0;
  state.nonce = Math.floor(ctx.random() * 0x100000000);
  sendRecovery(state, ctx);
  decideRecovery(state, ctx, env); // a lone replica (f = 0) decides at once
}

/** Every slot this replica knows of: the configuration's, and the members of the epochs it heard of. */
function knownReplicas(state: ReplicaState): number[] {
  const known = new Set([...firstMembers(state.slots), ...state.members, ...state.epochStart.oldMembers]);
  return [...known].filter((replica) => replica !== state.self).sort((a, b) => a - b);
}

function sendRecovery(state: ReplicaState, ctx: Context): void {
  for (const replica of knownReplicas(state))
    toReplica(state, ctx, replica, { type: "Recovery", nonce: state.nonce });
}

/**
 * Any replica answers with its epoch; a normal one also with its view, a
 * recovering one says so; one changing views or fetching stays silent.
 */
export function onRecovery(
  state: ReplicaState,
  body: BodyOf<"Recovery">,
  message: Message,
  ctx: Context,
): void {
  if (state.status === "view-change" || state.status === "transitioning") return;
  const pending = unexecutedReconfiguration(state) !== null;
  ctx.send(message.from, {
    type: "RecoveryResponse",
    epoch: state.epoch,
    nonce: body.nonce,
    recovering: state.status === "recovering",
    members: state.members,
    epochStart: state.epochStart,
    pending,
  });
}

export function onRecoveryResponse(
  state: ReplicaState,
  body: BodyOf<"RecoveryResponse">,
  from: number,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  if (state.status !== "recovering" || state.fetch !== null) return;
  if (!env.decide.answersRecovery(state, body.nonce) || body.epoch < state.epoch) return;
  if (body.epoch > state.epoch) {
    // A later epoch: only its members' answers count from now on.
    state.epoch = body.epoch;
    state.members = [...body.members];
    state.epochStart = { ...body.epochStart, oldMembers: [...body.epochStart.oldMembers] };
    state.recoveryResponses = [];
  }
  const known = state.recoveryResponses.find((response) => response.from === from);
  // A replica that answered "recovering" stays counted so: its later answers only update its view.
  const recovering = body.recovering || (known?.recovering ?? false);
  state.recoveryResponses = state.recoveryResponses.filter((response) => response.from !== from);
  state.recoveryResponses.push({
    from,
    viewNum: message.viewNum,
    recovering,
    normalNow: !body.recovering,
    pending: body.pending,
  });
  decideRecovery(state, ctx, env);
}

function decideRecovery(state: ReplicaState, ctx: Context, env: Env): void {
  const members = state.recoveryResponses.filter((response) => isMember(state, response.from));
  if (!isMember(state)) {
    // Not a member: a quorum of the members running the epoch now, none about to change it, settles it.
    const running = members.filter((response) => response.normalNow);
    if (running.length < quorumOf(state.members)) return;
    if (state.recoveryResponses.some((response) => response.pending)) return; // a next epoch may name it: ask again
    return becomeSpare(state, ctx);
  }
  const normal = members.filter((response) => !response.recovering);
  if (normal.length >= quorumOf(state.members)) {
    const latest = Math.max(...normal.map((response) => response.viewNum));
    const primary = primaryOf(latest, state.members);
    if (normal.some((response) => response.from === primary && response.viewNum === latest)) {
      state.viewNum = latest;
      return startFetch(state, "recovery", primary, null, ctx);
    }
  }
  // Recovering at some moment of this attempt (a later normal answer does not undo it), itself included.
  const recovering = members.filter((response) => response.recovering).length + 1;
  if (state.epoch === 0 && recovering >= quorumOf(state.members)) bootstrap(state, ctx, env);
}

function becomeSpare(state: ReplicaState, ctx: Context): void {
  state.status = "spare";
  state.recoveryResponses = [];
  ctx.emit({ type: "roleChanged", role: "idle", viewNum: state.viewNum });
}

/** A new cluster: view 0, nothing logged. */
function bootstrap(state: ReplicaState, ctx: Context, env: Env): void {
  state.viewNum = 0;
  state.recoveryResponses = [];
  joinView(state, 0, ctx, env);
}

/** The recovery fetch is complete: a normal backup of the view. */
export function finishRecovery(state: ReplicaState, ctx: Context, env: Env): void {
  const fetch = state.fetch!;
  adoptFetched(state, fetch);
  state.fetch = null;
  state.recoveryResponses = [];
  joinView(state, fetch.commitNumber, ctx, env);
}

/** Every tick while recovering: ask again; a fetch silent for the view-change timeout starts a new attempt. */
export function recoveryTick(state: ReplicaState, ctx: Context, env: Env): void {
  // Only the fetch's silence counts: ticks spent waiting for answers would end a fetch at its first tick.
  if (state.fetch === null) return sendRecovery(state, ctx);
  state.silentTicks += 1;
  if (state.silentTicks * env.config.tickMs >= env.config.viewChangeTimeoutMs) startRecovery(state, ctx, env);
}
