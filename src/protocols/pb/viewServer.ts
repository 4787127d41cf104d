import { type Address, isServerAddress } from "../../schemas/address.js";
import type { BodyOf } from "./messages.js";
import type { Timer } from "./timers.js";
import { initialView, type View } from "../../schemas/view.js";
import { assert, assertNever } from "../../actors/assert.js";
import type { ProtocolConfig } from "./config.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import { describeView } from "./describe.js";
import { plantedViewServerBugs } from "./plantedBugs.js";

// The view server (DESIGN §1): the single authority on who is primary and who
// is backup. It moves through numbered views, one change at a time, and only
// once the primary has acknowledged the current view.

// ---------------------------------------------------------------- state

export interface ServerRecord {
  /** The incarnation the server last pinged with; a new one means it restarted. */
  incarnation: number;
  /** Pinged since the last PingCheckTimer; a server that did not is dead. */
  pingedSinceCheck: boolean;
}

export interface ViewServerState {
  view: View;
  /** The primary pinged with the current viewNum, so a new view may follow. */
  primaryAcked: boolean;
  /** Incarnations of the primary and backup when they took their roles. */
  primaryIncarnation: number | null;
  backupIncarnation: number | null;
  /** Live servers only: a server is forgotten when declared dead. */
  servers: Map<Address, ServerRecord>;
}

// ---------------------------------------------------------------- init

export function createViewServer(config: ProtocolConfig): ActorDefinition<ViewServerState> {
  const decisions: ViewServerDecisions = { ...correctDecisions, ...plantedViewServerBugs(config) };
  return {
    kind: "viewserver",
    init(ctx) {
      ctx.setTimer({ type: "PingCheckTimer" }, config.pingCheckMs);
      return {
        view: { ...initialView },
        primaryAcked: false,
        primaryIncarnation: null,
        backupIncarnation: null,
        servers: new Map(),
      };
    },
    onMessage(state, message, ctx) {
      const body = message.body;
      switch (body.type) {
        case "Ping":
          return onPing(state, body, message, ctx, config, decisions);
        case "GetView":
          return replyView(state, message.from, ctx);
        case "ViewReply":
        case "RegisterClient":
        case "RegisterReply":
        case "Request":
        case "Reply":
        case "Forward":
        case "ForwardAck":
        case "ForwardReject":
        case "StateTransfer":
        case "StateTransferAck":
          ctx.log.warn({ from: message.from, type: body.type }, "view server ignores this message type");
          return;
        default:
          return assertNever(body, "message body");
      }
    },
    onTimer(state, timer, ctx) {
      switch (timer.type) {
        case "PingCheckTimer":
          return onPingCheckTimer(state, ctx, config, decisions);
        case "PingTimer":
        case "ClientRetryTimer":
          return;
        default:
          return assertNever(timer satisfies Timer, "timer");
      }
    },
    viewNum: (state) => state.view.viewNum,
    invariants: viewServerInvariants,
    describe: (state) =>
      `${describeView(state.view)}${state.primaryAcked ? " acked" : ""} live=[${[...state.servers.keys()].sort().join(",")}]`,
  };
}

// ---------------------------------------------------------------- message handlers

function onPing(
  state: ViewServerState,
  ping: BodyOf<"Ping">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ViewServerDecisions,
): void {
  const from = message.from;
  if (!isServerAddress(from)) {
    ctx.log.warn({ from }, "ping from a non-server address refused");
    return;
  }
  if (ping.viewNum > state.view.viewNum) {
    ctx.log.warn(
      { from, viewNum: ping.viewNum },
      "ping acknowledges a view that does not exist yet; refused",
    );
    return;
  }
  state.servers.set(from, { incarnation: ping.incarnation, pingedSinceCheck: true });

  if (state.view.viewNum === 0) {
    // The very first pinger becomes primary at once, with an empty store.
    changeView(state, from, null, ctx, `${from} pinged first`);
  } else if (
    from === state.view.primary &&
    ping.incarnation === state.primaryIncarnation &&
    ping.viewNum === state.view.viewNum
  ) {
    state.primaryAcked = true;
  }
  considerChange(state, ctx, config, decisions);
  replyView(state, from, ctx, ping.incarnation);
}

function replyView(state: ViewServerState, to: Address, ctx: Context, pingIncarnation?: number): void {
  ctx.send(to, {
    type: "ViewReply",
    view: { ...state.view },
    primaryIncarnation: state.primaryIncarnation,
    ...(pingIncarnation === undefined ? {} : { pingIncarnation }),
  });
}

// ---------------------------------------------------------------- timer handlers

function onPingCheckTimer(
  state: ViewServerState,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ViewServerDecisions,
): void {
  for (const [address, record] of [...state.servers]) {
    if (!record.pingedSinceCheck) state.servers.delete(address);
  }
  // Decide before the flags are cleared: every server left pinged in the
  // interval that just ended, so each may be picked as backup.
  considerChange(state, ctx, config, decisions);
  for (const record of state.servers.values()) record.pingedSinceCheck = false;
  ctx.setTimer({ type: "PingCheckTimer" }, config.pingCheckMs);
}

// ---------------------------------------------------------------- helpers

/** A server holds its role while it pings with the incarnation it had when it took it. */
function holdsRole(state: ViewServerState, address: Address | null, incarnation: number | null): boolean {
  if (address === null) return false;
  const record = state.servers.get(address);
  return record !== undefined && record.incarnation === incarnation;
}

/** What a decision may do besides reading the state: the view server's own moves. */
export interface ViewServerMoves {
  /** The ack rule's one exception (replaceLostNewBackup). */
  replaceLostNewBackup(): void;
  pickIdle(excluded: (Address | null)[]): Address | null;
  changeView(primary: Address | null, backup: Address | null, reason: string | string[]): void;
  /** Why a member lost its role, for the view's reasons. */
  lost(role: string, address: Address | null): string;
}

/**
 * The view server's decisions that a planted bug may replace (plantedBugs.ts
 * registers the replacements by mutation name), so that this file reads as
 * the protocol only. `correctDecisions` below are the rules of DESIGN §1.
 */
export interface ViewServerDecisions {
  /** Is the view's primary still up? `holdsRole`: it pings with the incarnation it took the role with. */
  primaryUp(state: ViewServerState, holdsRole: boolean): boolean;
  /** Before the primary acknowledged the view: the changes allowed. False: decide as if it had acknowledged. */
  whileUnacknowledged(state: ViewServerState, primaryUp: boolean, moves: ViewServerMoves): boolean;
  /** Primary and backup are both lost. */
  bothLost(state: ViewServerState, moves: ViewServerMoves): void;
  /** The view has a primary and no backup, and no idle server can be backup. */
  noBackupAvailable(state: ViewServerState, moves: ViewServerMoves): void;
}

/** The moves over one state (a class: no closures made on every ping). */
class Moves implements ViewServerMoves {
  constructor(
    private readonly state: ViewServerState,
    private readonly ctx: Context,
    private readonly config: ProtocolConfig,
  ) {}

  replaceLostNewBackup(): void {
    replaceLostNewBackup(this.state, this.ctx, this.config);
  }

  pickIdle(excluded: (Address | null)[]): Address | null {
    return pickIdle(this.state, excluded);
  }

  changeView(primary: Address | null, backup: Address | null, reason: string | string[]): void {
    changeView(this.state, primary, backup, this.ctx, reason);
  }

  // A member that lost its role and still pings came back under a new incarnation.
  lost(role: string, address: Address | null): string {
    return address !== null && this.state.servers.has(address)
      ? `${role} ${address} restarted`
      : `${role} ${address ?? "-"} silent for a whole ${this.config.pingCheckMs} ms check`;
  }
}

const correctDecisions: ViewServerDecisions = {
  // A restarted primary lost its state: it holds the role only under the incarnation it took it with.
  primaryUp: (_state, holds) => holds,
  // Only a new backup lost before the acknowledgement may be replaced.
  whileUnacknowledged: (_state, _primaryUp, moves) => {
    moves.replaceLostNewBackup();
    return true;
  },
  // Only the backup had the data; without it the service waits (it never guesses).
  bothLost: () => {},
  noBackupAvailable: () => {},
};

/**
 * At most one change per acknowledged view: replace a dead or restarted
 * primary by the backup, a dead or restarted backup by an idle server, and
 * fill an empty backup slot. Before the primary acknowledged the view, only a
 * lost backup may be replaced (replaceLostNewBackup).
 */
function considerChange(
  state: ViewServerState,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ViewServerDecisions,
): void {
  const { view } = state;
  if (view.viewNum === 0) return;
  const moves = new Moves(state, ctx, config);
  const primaryUp = decisions.primaryUp(state, holdsRole(state, view.primary, state.primaryIncarnation));
  const backupUp = holdsRole(state, view.backup, state.backupIncarnation);
  if (!state.primaryAcked && decisions.whileUnacknowledged(state, primaryUp, moves)) return;
  const excluded = [view.primary, view.backup];
  const filled = (idle: Address | null): string =>
    idle === null ? "no idle server to be backup" : `${idle} is the new backup`;

  if (!primaryUp) {
    if (backupUp) {
      const idle = pickIdle(state, excluded);
      changeView(state, view.backup, idle, ctx, [
        moves.lost("primary", view.primary),
        `backup ${view.backup ?? "-"} promoted`,
        filled(idle),
      ]);
    } else decisions.bothLost(state, moves);
    return;
  }
  if (view.backup !== null && !backupUp) {
    const idle = pickIdle(state, excluded);
    changeView(state, view.primary, idle, ctx, [moves.lost("backup", view.backup), filled(idle)]);
    return;
  }
  if (view.backup === null) {
    const idle = pickIdle(state, excluded);
    if (idle !== null) changeView(state, view.primary, idle, ctx, [`${idle} joined as backup`]);
    else decisions.noBackupAvailable(state, moves);
  }
}

/**
 * The ack rule's one exception (DESIGN §1): a new backup lost before the
 * primary acknowledged its view (its transfer can never land) is replaced
 * while the primary stays the same process. Safe because every primary the
 * view server names holds every acknowledged write (the first one starts
 * empty, a promoted backup confirmed its transfer in the acknowledged view it
 * came from, a kept primary kept its store), and the primary is not changed:
 * a backup is promoted only from an acknowledged view. Without it the view
 * server would wait forever for an acknowledgement the primary cannot give.
 */
function replaceLostNewBackup(state: ViewServerState, ctx: Context, config: ProtocolConfig): void {
  const { view } = state;
  if (view.backup === null || !holdsRole(state, view.primary, state.primaryIncarnation)) return;
  if (holdsRole(state, view.backup, state.backupIncarnation)) return;
  const lost = state.servers.has(view.backup)
    ? "restarted"
    : `silent for a whole ${config.pingCheckMs} ms check`;
  const idle = pickIdle(state, [view.primary, view.backup]);
  changeView(state, view.primary, idle, ctx, [
    `new backup ${view.backup} ${lost} before ${view.primary ?? "-"} acknowledged view ${view.viewNum}`,
    idle === null ? "no idle server to be backup" : `${idle} is the new backup`,
  ]);
}

/**
 * The live server with the smallest address that is neither primary nor
 * backup and pinged since the last check: one that fell silent may have
 * crashed, and a dead backup would only cost another view change.
 */
function pickIdle(state: ViewServerState, excluded: (Address | null)[]): Address | null {
  const candidates = [...state.servers]
    .filter(([address, record]) => record.pingedSinceCheck && !excluded.includes(address))
    .map(([address]) => address)
    .sort();
  return candidates[0] ?? null;
}

function changeView(
  state: ViewServerState,
  primary: Address | null,
  backup: Address | null,
  ctx: Context,
  /** Why, for people watching (events and logs); no decision reads it. */
  reason: string | string[],
): void {
  assert(primary !== null, "a view after view 0 always has a primary");
  const previous = state.view;
  assert(
    previous.viewNum === 0 || primary === previous.primary || primary === previous.backup,
    `the primary of view ${previous.viewNum + 1} must come from view ${previous.viewNum}`,
  );
  const incarnationOf = (address: Address | null): number | null =>
    address === null ? null : (state.servers.get(address)?.incarnation ?? null);
  state.primaryIncarnation =
    primary === previous.backup
      ? state.backupIncarnation
      : (incarnationOf(primary) ?? state.primaryIncarnation);
  state.backupIncarnation = incarnationOf(backup);
  state.view = { viewNum: previous.viewNum + 1, primary, backup };
  state.primaryAcked = false;
  const why = typeof reason === "string" ? reason : reason.join("; ");
  ctx.log.info({ view: state.view, reason: why }, "view changed");
  ctx.emit({ type: "viewChanged", view: { ...state.view }, reason: why });
}

function viewServerInvariants(state: ViewServerState): void {
  const { view } = state;
  assert(view.viewNum >= 0, "view numbers are not negative");
  if (view.viewNum === 0) {
    assert(view.primary === null && view.backup === null, "view 0 is empty");
  } else {
    assert(view.primary !== null, "every view after 0 has a primary");
    assert(view.primary !== view.backup, "primary and backup differ");
  }
}
