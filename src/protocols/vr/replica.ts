import { assert, assertNever } from "../../actors/assert.js";
import type { NodeStatus } from "../../schemas/clusterEvents.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import { slotsOf, type VrConfig } from "./config.js";
import { correctDecisions } from "./decisions.js";
import type { Env } from "./env.js";
import {
  finishEpochFetch,
  onEpochStarted,
  onGetEpoch,
  onStartEpoch,
  removedTick,
  sendStartEpoch,
} from "./epochs.js";
import { fetchTick, onGetState, onNewSnapshot, onNewState } from "./fetch.js";
import { storeEncodedBytes } from "../../kv/store.js";
import { describeMembers, replicaIndex } from "./members.js";
import type { ReplicaMessage } from "./messages.js";
import { onClientRequest, onCommit, onEpochProbeOK, onPrepare, onPrepareOK, primaryTick } from "./normal.js";
import { onEpochProbe } from "./probes.js";
import { plantedVrBugs } from "./plantedBugs.js";
import { onCheckEpoch, onReconfigure } from "./reconfigure.js";
import { finishRecovery, onRecovery, onRecoveryResponse, recoveryTick, startRecovery } from "./recovery.js";
import { reportView } from "./replies.js";
import { initialReplica, isPrimary, type ReplicaState } from "./state.js";
import { isOperatorAddress } from "../../schemas/address.js";
import { isReplicaMessage, toReplica } from "./wire.js";
import {
  finishStartViewFetch,
  onDoViewChange,
  onGetStartView,
  onStartView,
  onStartViewChange,
  startView,
  startViewChange,
  viewChangeTick,
} from "./viewChange.js";

// A VR replica: the paper's message handlers, and one timer (Tick) that
// drives heartbeats, resends and the failure detector. The replica's index
// comes from its own address; a sender's, from the envelope's `from`, which
// the broker stamps (never from a field the sender fills in). Messages
// between replicas of different epochs go no further than the epoch gate:
// the one behind learns the later epoch.

export function createReplica(config: VrConfig): ActorDefinition<ReplicaState> {
  const env: Env = { config, decide: { ...correctDecisions, ...plantedVrBugs(config.mutations) } };
  return {
    kind: "replica",
    init(ctx) {
      const self = replicaIndex(ctx.self);
      assert(self !== null, `${ctx.self} is not a replica slot (server-1 … server-9)`);
      const state = initialReplica(self, config.replicas, slotsOf(config), 0);
      ctx.setTimer({ type: "Tick" }, config.tickMs);
      startRecovery(state, ctx, env);
      return state;
    },
    onMessage: (state, message, ctx) => onMessage(state, message, ctx, env),
    onTimer(state, timer, ctx) {
      if (timer.type !== "Tick") return;
      ctx.setTimer({ type: "Tick" }, config.tickMs);
      onTick(state, ctx, env);
    },
    viewNum: (state) => state.viewNum,
    invariants: checkReplica,
    describe: describeReplica,
    status: replicaStatus,
  };
}

function onMessage(state: ReplicaState, message: Message, ctx: Context, env: Env): void {
  const body = message.body;
  // A retired replica takes no part (its host stops it); it hears only of later epochs, and probes
  // of a reconfiguration, which may name it again (in the broker a fresh process would, as a
  // spare: the simulator keeps the node).
  if (
    state.status === "retired" &&
    !(isReplicaMessage(body) && (body.epoch > state.epoch || body.type === "EpochProbe"))
  )
    return ctx.log.debug({ from: message.from, type: body.type }, "retired: ignored");
  if (body.type === "Request" || body.type === "RegisterClient")
    return onClientRequest(state, body, message, ctx, env);
  if (body.type === "GetView") return reportView(state, message.from, ctx);
  if (body.type === "Reconfigure" || body.type === "CheckEpoch") {
    if (!isOperatorAddress(message.from))
      return ctx.log.warn({ from: message.from, type: body.type }, "only the operator reconfigures: ignored");
    return body.type === "Reconfigure"
      ? onReconfigure(state, body, message, ctx, env)
      : onCheckEpoch(state, body, message, ctx, env);
  }
  const from = replicaIndex(message.from);
  if (from === null || from === state.self || !isReplicaMessage(body))
    return ctx.log.debug({ from: message.from, type: body.type }, "not from another replica: ignored");
  if (epochGate(state, body, from, ctx)) return;
  onReplicaMessage(state, body, from, message, ctx, env);
}

/**
 * Whether a replica message of another epoch stops here: the sender behind
 * hears StartEpoch, a sender ahead is asked for it (GetEpoch). Epoch
 * messages and recovery carry their own epochs and go on.
 */
function epochGate(state: ReplicaState, body: ReplicaMessage, from: number, ctx: Context): boolean {
  if (body.epoch === state.epoch) return false;
  switch (body.type) {
    case "StartEpoch":
    case "GetEpoch":
    case "Recovery":
    case "RecoveryResponse":
    case "EpochProbe":
    case "EpochProbeOK":
      return false;
  }
  if (state.status === "recovering") return true;
  if (body.epoch < state.epoch) sendStartEpoch(state, ctx, [from]);
  else toReplica(state, ctx, from, { type: "GetEpoch" });
  ctx.log.debug({ from, type: body.type, epoch: body.epoch }, "another epoch's message: ignored");
  return true;
}

function onReplicaMessage(
  state: ReplicaState,
  body: ReplicaMessage,
  from: number,
  message: Message,
  ctx: Context,
  env: Env,
): void {
  switch (body.type) {
    case "Prepare":
      return onPrepare(state, body, message, ctx, env);
    case "PrepareOK":
      return onPrepareOK(state, body, from, message, ctx, env);
    case "Commit":
      return onCommit(state, body, message, ctx, env);
    case "StartViewChange":
      return onStartViewChange(state, from, message, ctx, env);
    case "DoViewChange":
      return onDoViewChange(state, body, from, message, ctx, env);
    case "StartView":
      return onStartView(state, body, from, message, ctx, env);
    case "GetStartView":
      return onGetStartView(state, body, from, message, ctx);
    case "GetState":
      return onGetState(state, body, message, ctx);
    case "NewState":
      return onNewState(state, body, message, ctx, env, (s, c) => fetchDone(s, c, env));
    case "NewSnapshot":
      return onNewSnapshot(state, body, message, ctx);
    case "Recovery":
      return onRecovery(state, body, message, ctx);
    case "RecoveryResponse":
      return onRecoveryResponse(state, body, from, message, ctx, env);
    case "StartEpoch":
      return onStartEpoch(state, body, from, ctx, env);
    case "GetEpoch":
      return onGetEpoch(state, body, from, ctx);
    case "EpochStarted":
      return onEpochStarted(state, body, from, ctx);
    case "EpochProbe":
      return onEpochProbe(state, body, from, ctx);
    case "EpochProbeOK":
      return onEpochProbeOK(state, body, from, ctx, env);
    default:
      return assertNever(body, "replica message");
  }
}

/** A fetch is complete: what happens next depends on what it was for. */
function fetchDone(state: ReplicaState, ctx: Context, env: Env): void {
  const purpose = state.fetch!.purpose;
  switch (purpose) {
    case "catchUp":
      state.fetch = null;
      return;
    case "startView":
      return finishStartViewFetch(state, ctx, env);
    case "recovery":
      return finishRecovery(state, ctx, env);
    case "newPrimary":
      return startView(state, ctx, env);
    case "epoch":
      return finishEpochFetch(state, ctx, env);
    default:
      return assertNever(purpose, "fetch purpose");
  }
}

function onTick(state: ReplicaState, ctx: Context, env: Env): void {
  if (state.pinnedTicks > 0 && --state.pinnedTicks === 0) state.outgoing = null;
  fetchTick(state, ctx);
  if (state.status === "recovering") return recoveryTick(state, ctx, env);
  if (state.status === "view-change") return viewChangeTick(state, ctx, env);
  if (state.status === "removed") return removedTick(state, ctx);
  if (state.status === "transitioning" || state.status === "spare" || state.status === "retired") return;
  if (isPrimary(state)) return primaryTick(state, ctx, env);
  state.silentTicks += 1;
  if (state.silentTicks * env.config.tickMs >= env.config.viewChangeTimeoutMs)
    startViewChange(state, state.viewNum + 1, ctx);
}

function checkReplica(state: ReplicaState): void {
  assert(state.commitNumber <= state.opNumber, "commit-number beyond op-number");
  assert(state.logStart <= state.commitNumber || state.status === "recovering", "log dropped beyond commits");
  assert(state.log.length === state.opNumber - state.logStart, "log length and op-number disagree");
  assert(state.app.applied === state.commitNumber, "committed entries not executed");
  assert(state.lastNormal <= state.viewNum, "last normal view after the current one");
  assert(state.members.length > 0, "an epoch has members");
  if (state.status === "normal" || state.status === "view-change")
    assert(state.members.includes(state.self), "only members run an epoch's views");
  if (state.status === "normal")
    assert(
      state.commitNumber >= state.epochStart.op,
      "a normal member holds the state its epoch starts with",
    );
  if (state.outgoing !== null)
    assert(state.outgoing.applied >= state.logStart, "the log after a snapshot being sent is kept");
}

function describeReplica(state: ReplicaState): string {
  const fetch =
    state.fetch === null ? "" : `, fetching (${state.fetch.purpose}) from server-${state.fetch.source + 1}`;
  const epoch = state.epoch === 0 ? "" : `epoch ${state.epoch} (${describeMembers(state.members)}) `;
  return `${epoch}${state.status} v${state.viewNum}${state.status === "normal" && isPrimary(state) ? " primary" : ""}, last normal v${state.lastNormal}, op ${state.opNumber}, commit ${state.commitNumber}, log from ${state.logStart + 1}${fetch}`;
}

function replicaStatus(state: ReplicaState): NodeStatus {
  return {
    role: state.status !== "normal" ? "idle" : isPrimary(state) ? "primary" : "backup",
    viewNum: state.viewNum,
    applied: state.app.applied,
    keys: state.app.store.size,
    storeBytes: storeEncodedBytes(state.app.store),
    sessions: state.app.lastByClient.size,
    transferChunksAcked: null,
    // VR's own: where the replica stands (its role is "idle" unless its status is normal).
    figures: {
      status: state.status,
      epoch: state.epoch,
      members: state.members.map((member) => `s${member + 1}`).join(" "),
      opNumber: state.opNumber,
      commitNumber: state.commitNumber,
      logStart: state.logStart,
    },
  };
}
