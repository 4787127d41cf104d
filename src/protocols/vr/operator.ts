import type { ActorDefinition, Context, Message } from "./actor.js";
import { type PlannedReconfiguration, slotsOf, type VrConfig } from "./config.js";
import { describeMembers, firstMembers, replicaAddress, replicaIndex, sameMembers } from "./members.js";
import type { BodyOf } from "./messages.js";

// The operator (VR Revisited §7): asks the group's primary to reconfigure,
// then asks the new epoch's members until one answers CheckEpoch, which
// says the new epoch runs, and only then goes on to the next
// reconfiguration. The simulator and the model checker run it as a node
// (`operator` in the layout when the configuration plans reconfigurations;
// "random" makes it the nemesis's: it picks its own); `npm run reconfigure`
// runs it for one. It finds the group as a client does: from NotPrimary answers.

export interface OperatorState {
  /** The latest epoch it heard of, its members and view. */
  epoch: number;
  members: number[];
  viewNum: number;
  seq: number;
  /** The reconfiguration under way: asking for it (from epoch `from`), then checking that its epoch runs. */
  current: { members: number[]; from: number; phase: "reconfigure" | "check" } | null;
  /** Reconfigurations done (their epochs run). */
  done: number;
  /** Random: ticks before it picks the next one. */
  idleTicks: number;
  /** Why the last request was refused as invalid, if it was. */
  refused: string | null;
}

export function createOperator(config: VrConfig): ActorDefinition<OperatorState> {
  const tickMs = config.clientRetryMs;
  return {
    kind: "operator",
    init(ctx) {
      ctx.setTimer({ type: "OperatorTick" }, tickMs);
      const members = firstMembers(config.replicas);
      return { epoch: 0, members, viewNum: 0, seq: 0, current: null, done: 0, idleTicks: 5, refused: null };
    },
    onMessage: (state, message, ctx) => onMessage(state, message, ctx),
    onTimer(state, timer, ctx) {
      if (timer.type !== "OperatorTick") return;
      ctx.setTimer(timer, tickMs);
      onTick(state, ctx, config);
    },
    viewNum: (state) => state.viewNum,
    invariants() {},
    describe: (state) =>
      `epoch ${state.epoch} (${describeMembers(state.members)}), ${state.done} done${
        state.current === null ? "" : `, ${state.current.phase} ${describeMembers(state.current.members)}`
      }`,
  };
}

function onTick(state: OperatorState, ctx: Context, config: VrConfig): void {
  if (state.current === null) {
    const next = nextReconfiguration(state, ctx, config);
    if (next === null) return;
    state.current = { members: [...next.members], from: state.epoch, phase: "reconfigure" };
    state.seq += 1;
  }
  ask(state, ctx);
}

/** The next planned reconfiguration, or (random) one the operator picks after a while. */
function nextReconfiguration(
  state: OperatorState,
  ctx: Context,
  config: VrConfig,
): PlannedReconfiguration | null {
  if (config.operator !== "random") return config.operator[state.done] ?? null;
  if (--state.idleTicks > 0) return null;
  state.idleTicks = 10 + Math.floor(ctx.random() * 40);
  return randomReconfiguration(state.members, slotsOf(config), ctx);
}

/** Add a spare, remove a member, replace one, or replace them all by three spares: groups of 3 to 5. */
export function randomReconfiguration(
  members: readonly number[],
  slots: number,
  ctx: Pick<Context, "random">,
): PlannedReconfiguration | null {
  const spares = firstMembers(slots).filter((slot) => !members.includes(slot));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(ctx.random() * items.length)]!;
  const moves: (() => number[])[] = [];
  if (spares.length > 0 && members.length < 5) moves.push(() => [...members, pick(spares)]);
  if (members.length > 3) {
    const out = pick(members);
    moves.push(() => members.filter((member) => member !== out));
  }
  if (spares.length > 0) {
    const out = pick(members);
    moves.push(() => [...members.filter((member) => member !== out), pick(spares)]);
  }
  // Every old replica removed at once: the new ones can only fetch from replicas on their way out.
  if (spares.length >= 3) moves.push(() => spares.slice(0, 3));
  if (moves.length === 0) return null;
  return { members: pick(moves)().sort((a, b) => a - b) };
}

/** Every member of the epoch it asks about hears the request; the primary acts, the others say where the group is. */
function ask(state: OperatorState, ctx: Context): void {
  const current = state.current!;
  if (current.phase === "reconfigure")
    for (const member of state.members)
      ctx.send(replicaAddress(member), {
        type: "Reconfigure",
        seq: state.seq,
        epoch: current.from,
        members: current.members,
      });
  else
    for (const member of current.members)
      ctx.send(replicaAddress(member), { type: "CheckEpoch", seq: state.seq, epoch: current.from + 1 });
}

function onMessage(state: OperatorState, message: Message, ctx: Context): void {
  const body = message.body;
  if (replicaIndex(message.from) === null) return;
  switch (body.type) {
    case "ReconfigureReply":
      return onReconfigureReply(state, body, ctx);
    case "EpochRunning":
      return onEpochRunning(state, body, message);
    case "NotPrimary":
      return onNotPrimary(state, body, message, ctx);
    default:
      return ctx.log.debug({ from: message.from, type: body.type }, "the operator ignores this message type");
  }
}

function onReconfigureReply(state: OperatorState, body: BodyOf<"ReconfigureReply">, ctx: Context): void {
  const current = state.current;
  if (current === null || body.seq !== state.seq || current.phase !== "reconfigure") return;
  if (body.result.ok) {
    current.phase = "check";
    return ask(state, ctx);
  }
  if (body.result.error !== "Invalid") return; // StaleEpoch (a NotPrimary follows), Reconfiguring: retry
  ctx.log.warn({ reason: body.result.reason }, "reconfiguration refused");
  state.refused = body.result.reason;
  state.current = null;
  state.done += 1; // a plan goes on with the next one
}

function onEpochRunning(state: OperatorState, body: BodyOf<"EpochRunning">, message: Message): void {
  const current = state.current;
  if (current === null || body.seq !== state.seq || current.phase !== "check") return;
  if (body.epoch !== current.from + 1 || !sameMembers(body.members, current.members)) return;
  state.epoch = body.epoch;
  state.members = [...body.members];
  state.viewNum = message.viewNum;
  state.current = null;
  state.done += 1;
}

/** Where the group is: a later epoch (the reconfiguration may be done: then it checks), or a later view. */
function onNotPrimary(
  state: OperatorState,
  body: BodyOf<"NotPrimary">,
  message: Message,
  ctx: Context,
): void {
  const later = body.epoch > state.epoch || (body.epoch === state.epoch && message.viewNum > state.viewNum);
  if (!later) return;
  state.epoch = body.epoch;
  state.members = [...body.members];
  state.viewNum = message.viewNum;
  const current = state.current;
  if (current === null) return;
  if (current.phase === "reconfigure" && body.epoch > current.from) {
    if (body.epoch === current.from + 1 && sameMembers(body.members, current.members))
      current.phase = "check";
    else current.from = body.epoch; // another reconfiguration came first: ask again from the epoch it made
  }
  // A later view of the old epoch: the primary that accepted may have lost the entry with its view.
  // Asking again is safe: a primary that holds it answers that it is logged.
  if (current.phase === "check" && body.epoch === current.from) current.phase = "reconfigure";
  ask(state, ctx); // the group moved: ask again at once, not a tick later
}
