import type { Context, Message } from "./actor.js";
import type { Env } from "./env.js";
import { adoptFetched, startFetch } from "./fetch.js";
import type { BodyOf } from "./messages.js";
import { primaryOf, quorum, replicaAddress, type ReplicaState } from "./state.js";
import { joinView } from "./viewChange.js";

// Recovery (the paper's §4.3). Replicas have no disk: a replica that starts
// (a restart looks the same) knows nothing, takes no part in the protocol and
// asks every replica, with a fresh nonce. With f+1 answers from normal
// replicas, the primary of the latest view among them included, it fetches
// that primary's log and state and becomes a normal backup. When f+1
// replicas, itself included, were recovering during this attempt (each
// answered so), more than f replicas held nothing at once: the cluster is
// new (or lost more than f replicas at once, which loses data, docs/VR.md),
// and it starts at view 0 with an empty log, as the others that see the same.

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

function sendRecovery(state: ReplicaState, ctx: Context): void {
  for (let i = 0; i < state.replicas; i++)
    if (i !== state.self) ctx.send(replicaAddress(i), { type: "Recovery", nonce: state.nonce });
}

/** Any replica: a normal one answers with its view; a recovering one says so; one changing views stays silent. */
export function onRecovery(
  state: ReplicaState,
  body: BodyOf<"Recovery">,
  message: Message,
  ctx: Context,
): void {
  if (state.status === "view-change") return;
  ctx.send(message.from, {
    type: "RecoveryResponse",
    nonce: body.nonce,
    recovering: state.status === "recovering",
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
  if (!env.decide.answersRecovery(state, body.nonce)) return;
  const known = state.recoveryResponses.find((response) => response.from === from);
  // A replica that answered "recovering" stays counted so: its later answers only update its view.
  const recovering = body.recovering || (known?.recovering ?? false);
  state.recoveryResponses = state.recoveryResponses.filter((response) => response.from !== from);
  state.recoveryResponses.push({ from, viewNum: message.viewNum, recovering });
  decideRecovery(state, ctx, env);
}

function decideRecovery(state: ReplicaState, ctx: Context, env: Env): void {
  const normal = state.recoveryResponses.filter((response) => !response.recovering);
  if (normal.length >= quorum(env.config)) {
    const latest = Math.max(...normal.map((response) => response.viewNum));
    const primary = primaryOf(latest, state.replicas);
    if (normal.some((response) => response.from === primary && response.viewNum === latest)) {
      state.viewNum = latest;
      return startFetch(state, "recovery", primary, null, ctx);
    }
  }
  // Recovering at some moment of this attempt (a later normal answer does not undo it), itself included.
  const recovering = state.recoveryResponses.filter((response) => response.recovering).length + 1;
  if (recovering >= quorum(env.config)) bootstrap(state, ctx, env);
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
