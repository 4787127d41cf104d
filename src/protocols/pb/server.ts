import {
  type App,
  alreadyExecuted,
  applyEntry,
  cachedResult,
  emptyApp,
  type EntryResult,
  oldestActivityMs,
  sessionOf,
} from "../../kv/atMostOnce.js";
import { type Address, isClientAddress, viewServerAddress } from "../../schemas/address.js";
import type { NodeStatus } from "../../schemas/clusterEvents.js";
import { storeEncodedBytes } from "../../kv/store.js";
import {
  batchBytesMax,
  entryBytes,
  heldForwardCharsMax,
  heldForwardsMax,
  sessionsMax,
} from "../../schemas/limits.js";
import type { BodyOf, ForwardEntry, NotServed, ReplyError } from "./messages.js";
import type { Op } from "../../schemas/op.js";
import type { Timer } from "./timers.js";
import { initialView, type View } from "../../schemas/view.js";
import { assert, assertNever } from "../../actors/assert.js";
import type { ProtocolConfig } from "./config.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import { describeView } from "./describe.js";
import {
  chunkAt,
  type IncomingTransfer,
  type OutgoingTransfer,
  receiveChunk,
  saveSnapshotValue,
  startOutgoing,
} from "../../kv/transfer.js";
import { plantedServerBugs } from "./plantedBugs.js";

// A replica (DESIGN §1). The primary runs each client operation only after the
// backup holds it: it forwards, waits for the ack, then executes and replies.
// A new backup first receives the whole state, as a snapshot in chunks
// (transfer.ts); the primary does not acknowledge the view until the backup
// installed it, but keeps serving meanwhile: operations after the snapshot
// are forwarded, and the backup holds them until the last chunk is in.
// Client sessions (src/kv/atMostOnce.ts) are opened and forgotten through the
// same log, on times the primary stamps into each entry.

// ---------------------------------------------------------------- state

export type Role = "primary" | "backup" | "idle";

export interface ServerState {
  /** Drawn at start; a restarted server has a new one, so the view server can tell. */
  incarnation: number;
  /** The newest view learned from the view server (view 0 until the first). */
  view: View;
  role: Role;
  /** What this server pings with: its view, except a primary not yet ready. */
  ackedViewNum: number;
  /**
   * The application state, or null when this server has none it may trust: a
   * fresh process, an idle server, a backup still waiting for its transfer.
   */
  app: App | null;
  /** Primary: the backup installed the state transfer of this view (or there is no backup). */
  transferAcked: boolean;
  /** Primary: the incarnation of the backup process that acknowledged the transfer; only its acks count. */
  backupIncarnation: number | null;
  /** Primary: the snapshot being sent to the backup, until it is installed. */
  outgoing: OutgoingTransfer | null;
  /** Backup: the snapshot being received, until its last chunk. */
  incoming: IncomingTransfer | null;
  /** Primary: client operations forwarded or to forward, at log positions app.applied+1, … */
  pending: ForwardEntry[];
  /** Primary: the last position of each Forward in flight, oldest first. */
  inFlightEnds: number[];
  /** Primary: positions up to here went out at least once. */
  sentUpTo: number;
  /**
   * Primary: `sentUpTo` at the last ping tick. A tick resends the forwards
   * in flight only when one sent before the last tick is still unacknowledged:
   * resending every tick also copied the forward sent a moment ago, a copy
   * the backup parsed and ignored, on the way of the next operation.
   */
  sentUpToLastTick: number;
  /**
   * Backup: forwards held but not applied, by position: those ahead of a gap
   * (applied once it fills) and, during a transfer, all after the snapshot.
   */
  buffered: Map<number, ForwardEntry>;
}

export function isReadyPrimary(state: ServerState): boolean {
  return state.role === "primary" && state.app !== null && state.transferAcked;
}

/** A primary with state: it takes client operations, during a transfer too. */
export function isServingPrimary(state: ServerState): boolean {
  return state.role === "primary" && state.app !== null;
}

// ---------------------------------------------------------------- init

export function createServer(config: ProtocolConfig): ActorDefinition<ServerState> {
  const decisions: ServerDecisions = { ...correctDecisions, ...plantedServerBugs(config) };
  return {
    kind: "server",
    init(ctx) {
      const state: ServerState = {
        incarnation: Math.floor(ctx.random() * 0x1_0000_0000),
        view: { ...initialView },
        role: "idle",
        ackedViewNum: 0,
        app: null,
        transferAcked: false,
        backupIncarnation: null,
        outgoing: null,
        incoming: null,
        pending: [],
        inFlightEnds: [],
        sentUpTo: 0,
        sentUpToLastTick: 0,
        buffered: new Map(),
      };
      sendPing(state, ctx);
      ctx.setTimer({ type: "PingTimer" }, config.pingMs);
      return state;
    },
    onMessage(state, message, ctx) {
      const body = message.body;
      switch (body.type) {
        case "ViewReply":
          return onViewReply(state, body, message, ctx, config, decisions);
        case "RegisterClient":
          return onRegisterClient(state, body, message, ctx, config, decisions);
        case "Request":
          return onRequest(state, body, message, ctx, config, decisions);
        case "Forward":
          return onForward(state, body, message, ctx, config, decisions);
        case "ForwardAck":
          return onForwardAck(state, body, message, ctx, config, decisions);
        case "ForwardReject":
          return onForwardReject(state, message, ctx);
        case "StateTransfer":
          return onStateTransfer(state, body, message, ctx, config, decisions);
        case "StateTransferAck":
          return onStateTransferAck(state, body, message, ctx, config);
        case "Ping":
        case "GetView":
        case "RegisterReply":
        case "Reply":
          ctx.log.warn({ from: message.from, type: body.type }, "server ignores this message type");
          return;
        default:
          return assertNever(body, "message body");
      }
    },
    onTimer(state, timer, ctx) {
      switch (timer.type) {
        case "PingTimer":
          return onPingTimer(state, ctx, config, decisions);
        case "PingCheckTimer":
        case "ClientRetryTimer":
          return;
        default:
          return assertNever(timer satisfies Timer, "timer");
      }
    },
    viewNum: (state) => state.view.viewNum,
    invariants: serverInvariants,
    describe: describeServer,
    status: serverStatus,
  };
}

// ---------------------------------------------------------------- message handlers

function onViewReply(
  state: ServerState,
  reply: BodyOf<"ViewReply">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  if (message.from !== viewServerAddress) {
    ctx.log.warn({ from: message.from }, "view from someone other than the view server refused");
    return;
  }
  const view = reply.view;
  if (view.viewNum <= state.view.viewNum) return; // old news (reordered or duplicated)
  // A fresh process learns its first view from the answer to its own ping, not
  // from a reply to its previous life still sitting in the queue (that one
  // could make it take up an old role and install an old state transfer).
  if (state.view.viewNum === 0 && reply.pingIncarnation !== state.incarnation) return;
  const self = ctx.self;
  // The view server names a role's holder by address and incarnation. A
  // process that restarted under the same name is someone else: it must not
  // act as the primary the view server chose (it would serve whatever stale
  // state reached it from its previous life's queue), so it stays idle and its
  // pings, carrying its new incarnation, tell the view server it restarted.
  if (view.primary === self && reply.primaryIncarnation === state.incarnation) {
    // The primary of view 1 is the first primary ever and starts empty.
    const isGenesis = view.viewNum === 1 && state.view.viewNum === 0;
    becomePrimary(state, view, isGenesis, ctx, config, decisions);
  } else if (view.backup === self) {
    becomeBackup(state, view, ctx);
  } else {
    becomeIdle(state, view, ctx);
  }
}

function onRegisterClient(
  state: ServerState,
  register: BodyOf<"RegisterClient">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  const client = message.from;
  const seq = register.seq;
  const app = admit(state, message, ctx);
  if (app === null) return;
  if (typeof app === "string") return registerReply(client, seq, { ok: false, error: app }, ctx);
  // Open already (a retried register, or one after an idle spell): the backup holds it too, as
  // it holds every applied entry, so the answer needs no log position (like a cached write's).
  const open = app.lastByClient.get(client);
  if (open !== undefined) return registerReply(client, seq, { ok: true, session: open.id }, ctx);
  if (isQueued(state, "register", client, seq)) return; // on its way through the log: its answer will come
  const error = submit(
    state,
    app,
    { type: "register", client, seq, atMs: stamp(state, app, ctx) },
    ctx,
    config,
    decisions,
  );
  if (error !== null) registerReply(client, seq, { ok: false, error }, ctx);
}

function onRequest(
  state: ServerState,
  request: BodyOf<"Request">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  const client = message.from;
  if (state.role !== "primary" && decisions.requestToNonPrimary(state, request, client, ctx, moves)) return;
  const app = admit(state, message, ctx);
  if (app === null) return;
  if (typeof app === "string") return replyError(client, request.seq, app, ctx);
  // Not executed: the session was forgotten (or never opened), so this may be a retry of a write that ran.
  if (sessionOf(app, client, request.session) === undefined)
    return replyError(client, request.seq, "SessionExpired", ctx);
  const cached = cachedResult(app, client, request.seq, request.op);
  if (cached !== undefined) return reply(state, client, request.seq, request.op, cached, ctx);
  if (alreadyExecuted(app, client, request.seq, request.op)) return; // an old retry; its client moved on
  if (isQueued(state, "op", client, request.seq)) return;

  if (request.op.f === "get" && decisions.readAtPrimary(state, app, request, client, ctx, moves)) return;
  const error = submit(state, app, opEntry(state, app, client, request, ctx), ctx, config, decisions);
  if (error !== null) replyError(client, request.seq, error, ctx);
}

function onForward(
  state: ServerState,
  forward: BodyOf<"Forward">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  if (!decisions.acceptsForward(state, message)) {
    // Tell an older primary it is out of date; a newer one will reach us through the view server.
    if (message.viewNum < state.view.viewNum) ctx.send(message.from, { type: "ForwardReject" });
    return;
  }
  const app = state.app;
  const incoming = state.incoming;
  if (app === null && incoming === null) return; // no chunk of the transfer yet; the primary resends
  if (app !== null) decisions.applyForward(state, app, forward, config);
  else if (incoming !== null) holdDuringTransfer(state, incoming, forward);
  const held = app !== null ? app.applied : incoming!.heldUpTo;
  ctx.send(message.from, { type: "ForwardAck", index: held, incarnation: state.incarnation });
}

function onForwardAck(
  state: ServerState,
  ack: BodyOf<"ForwardAck">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  if (!isFromOurBackup(state, message) || !isServingPrimary(state)) return;
  if (!decisions.acceptsForwardAck(state, ack)) return;
  const app = state.app;
  assert(app !== null, "a serving primary has state");
  if (ack.index > state.sentUpTo) {
    ctx.log.warn({ from: message.from, index: ack.index }, "ack for positions never sent refused");
    return;
  }
  while (app.applied < ack.index) {
    const entry = state.pending.shift();
    assert(entry !== undefined, "every acknowledged position is pending");
    const result = applyAsPrimary(state, app, entry);
    decisions.backedUp(state, entry, result, ctx, moves);
  }
  state.inFlightEnds = state.inFlightEnds.filter((end) => end > ack.index);
  sendForwards(state, ctx, config);
}

function onForwardReject(state: ServerState, message: Message, ctx: Context): void {
  // The backup is in a newer view than ours: we are probably not primary any
  // more. Ask the view server now rather than at the next ping.
  if (state.role === "primary" && message.viewNum > state.view.viewNum) sendPing(state, ctx);
}

function onStateTransfer(
  state: ServerState,
  chunk: BodyOf<"StateTransfer">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  if (state.role !== "backup" || !isFromOurPrimary(state, message)) return;
  if (state.app !== null) decisions.chunkAfterInstall(state);
  if (state.app === null) {
    const { incoming, installed } = receiveChunk(state.incoming, chunk);
    state.incoming = incoming;
    if (installed !== null) installTransfer(state, installed, ctx, config);
  }
  const installed = state.app !== null;
  ctx.send(message.from, {
    type: "StateTransferAck",
    applied: chunk.applied,
    received: installed ? chunk.chunk + 1 : (state.incoming?.received ?? 0),
    installed,
    incarnation: state.incarnation,
  });
}

function onStateTransferAck(
  state: ServerState,
  ack: BodyOf<"StateTransferAck">,
  message: Message,
  ctx: Context,
  config: ProtocolConfig,
): void {
  const outgoing = state.outgoing;
  if (!isFromOurBackup(state, message) || state.role !== "primary" || outgoing === null) return;
  if (state.app === null || ack.applied !== outgoing.applied) return;
  // The first ack names the backup process; a process restarted under its name is someone else.
  state.backupIncarnation ??= ack.incarnation;
  if (ack.incarnation !== state.backupIncarnation) return;
  if (!ack.installed) {
    if (ack.received <= outgoing.acked) return;
    outgoing.acked = Math.min(ack.received, outgoing.chunkStarts.length);
    outgoing.quietTicks = 0;
    outgoing.nextToSend = Math.max(outgoing.nextToSend, outgoing.acked);
    return sendChunks(state, ctx, config);
  }
  state.transferAcked = true;
  state.outgoing = null;
  state.ackedViewNum = state.view.viewNum;
  ctx.emit({ type: "stateTransferred", viewNum: state.view.viewNum, to: message.from, applied: ack.applied });
  sendPing(state, ctx); // acknowledge the view at once: failover waits on it
  sendForwards(state, ctx, config);
}

// ---------------------------------------------------------------- timer handlers

function onPingTimer(
  state: ServerState,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  sendPing(state, ctx);
  if (state.role === "primary" && state.app !== null && state.view.backup !== null) {
    const outgoing = state.outgoing;
    // Resend what is unacknowledged only when acks stopped coming for a whole
    // interval: a chunk's round trip may take longer than pingMs, and resending
    // a window in flight every tick would flood the backup with copies.
    if (outgoing !== null && ++outgoing.quietTicks >= 2) {
      outgoing.quietTicks = 0;
      outgoing.nextToSend = outgoing.acked;
      sendChunks(state, ctx, config);
    }
    // Acks stopped for a whole interval: something sent before the last tick is still out.
    if (state.app.applied < state.sentUpToLastTick) resendForwards(state, ctx, config);
    state.sentUpToLastTick = state.sentUpTo;
  }
  if (isServingPrimary(state)) expireIdleSessions(state, state.app!, ctx, config, decisions);
  ctx.setTimer({ type: "PingTimer" }, config.pingMs);
}

// ---------------------------------------------------------------- role changes

function becomePrimary(
  state: ServerState,
  view: View,
  isGenesis: boolean,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  assert(view.primary === ctx.self, "becomePrimary of someone else's view");
  const wasRole = state.role;
  if (isGenesis) state.app = emptyApp();
  // A backup promoted keeps what it applied; forwards that were still in
  // flight (ours to an old backup, or to us from an old primary) are dropped:
  // none of them ran on the primary, and their clients retry.
  if (wasRole === "idle" && !isGenesis) state.app = null;
  state.view = { ...view };
  state.role = "primary";
  state.pending = [];
  state.inFlightEnds = [];
  state.sentUpTo = state.app?.applied ?? 0;
  state.sentUpToLastTick = state.sentUpTo;
  state.buffered.clear();
  state.transferAcked = view.backup === null;
  state.backupIncarnation = null;
  state.incoming = null;
  state.outgoing = null;
  if (state.app !== null && state.transferAcked) state.ackedViewNum = view.viewNum;
  announce(state, wasRole, ctx);
  if (state.app !== null && !state.transferAcked) {
    state.outgoing = decisions.snapshot(state.app);
    sendChunks(state, ctx, config);
  }
}

function becomeBackup(state: ServerState, view: View, ctx: Context): void {
  assert(view.backup === ctx.self, "becomeBackup of someone else's view");
  const wasRole = state.role;
  state.view = { ...view };
  state.role = "backup";
  state.ackedViewNum = view.viewNum;
  state.app = null; // trust only the transfer of this view
  clearPrimaryWork(state);
  state.incoming = null;
  announce(state, wasRole, ctx);
}

function becomeIdle(state: ServerState, view: View, ctx: Context): void {
  const wasRole = state.role;
  state.view = { ...view };
  state.role = "idle";
  state.ackedViewNum = view.viewNum;
  state.app = null;
  clearPrimaryWork(state);
  state.incoming = null;
  announce(state, wasRole, ctx);
}

function clearPrimaryWork(state: ServerState): void {
  state.transferAcked = false;
  state.backupIncarnation = null;
  state.outgoing = null;
  state.pending = [];
  state.inFlightEnds = [];
  state.sentUpTo = 0;
  state.sentUpToLastTick = 0;
  state.buffered.clear();
}

function announce(state: ServerState, wasRole: Role, ctx: Context): void {
  ctx.emit({ type: "viewChanged", view: { ...state.view } });
  if (wasRole !== state.role) {
    ctx.log.info({ role: state.role, view: describeView(state.view) }, "role changed");
    ctx.emit({ type: "roleChanged", role: state.role, viewNum: state.view.viewNum });
  }
}

// ---------------------------------------------------------------- helpers

/**
 * The server's decisions that a planted bug may replace (plantedBugs.ts
 * registers the replacements by mutation name), so that this file reads as
 * the protocol only. `correctDecisions` below are the rules of DESIGN §1.
 */
export interface ServerDecisions {
  /** A client request to a server that is not primary. True: answered here; false: refused as NotPrimary. */
  requestToNonPrimary(
    state: ServerState,
    request: BodyOf<"Request">,
    client: Address,
    ctx: Context,
    moves: ServerMoves,
  ): boolean;
  /** Primary: a read about to be logged. True: answered here; false: it goes through the log. */
  readAtPrimary(
    state: ServerState,
    app: App,
    request: BodyOf<"Request">,
    client: Address,
    ctx: Context,
    moves: ServerMoves,
  ): boolean;
  /** Does a backup take this Forward in? */
  acceptsForward(state: ServerState, message: Message): boolean;
  /** Backup with state: take a Forward's entries in. */
  applyForward(state: ServerState, app: App, forward: BodyOf<"Forward">, config: ProtocolConfig): void;
  /** Primary: does this ForwardAck from our backup's address count? */
  acceptsForwardAck(state: ServerState, ack: BodyOf<"ForwardAck">): boolean;
  /** Primary: an entry was queued for the backup. */
  queued(state: ServerState, app: App, entry: ForwardEntry, ctx: Context, moves: ServerMoves): void;
  /** Primary: the backup holds an entry, which the primary just applied with this result. */
  backedUp(
    state: ServerState,
    entry: ForwardEntry,
    result: EntryResult,
    ctx: Context,
    moves: ServerMoves,
  ): void;
  /** Backup: a chunk of its view's transfer after it installed that transfer. */
  chunkAfterInstall(state: ServerState): void;
  /** Primary with a new backup: the snapshot to send it. */
  snapshot(app: App): OutgoingTransfer;
  /** Primary: does it run new entries alone, without forwarding them? */
  servesAlone(state: ServerState): boolean;
}

/** What a planted bug may do in a decision's place (plain functions: nothing is made per message). */
export interface ServerMoves {
  opEntry: typeof opEntry;
  answer: typeof answer;
  reply: typeof reply;
}

const moves: ServerMoves = { opEntry, answer, reply };

const correctDecisions: ServerDecisions = {
  // Only the primary answers clients: it alone knows every write the backup holds.
  requestToNonPrimary: () => false,
  // A read goes through the backup like a write: a primary replaced without knowing it would read stale data.
  readAtPrimary: () => false,
  // Only from the primary of our view: an older primary's forwards would diverge from the new one's.
  acceptsForward: (state, message) => state.role === "backup" && isFromOurPrimary(state, message),
  applyForward: bufferAndApply,
  // Only the backup process that installed the transfer: a process restarted under its name holds nothing.
  acceptsForwardAck: (state, ack) =>
    state.backupIncarnation !== null && ack.incarnation === state.backupIncarnation,
  // Its client waits until the backup holds it (backedUp).
  queued: () => {},
  backedUp: (state, entry, result, ctx) => answer(state, entry, result, ctx),
  // At most once per view: installing a duplicate again would roll back the forwards applied since.
  chunkAfterInstall: () => {},
  // The sessions travel with their last write, so the new backup never runs a retried write again.
  snapshot: startOutgoing,
  // Alone only without a backup: during a transfer, operations after the snapshot are forwarded too.
  servesAlone: (state) => state.view.backup === null,
};

function sendPing(state: ServerState, ctx: Context): void {
  ctx.send(viewServerAddress, { type: "Ping", viewNum: state.ackedViewNum, incarnation: state.incarnation });
}

/** Send the chunks after the last one sent, while the window allows. */
function sendChunks(state: ServerState, ctx: Context, config: ProtocolConfig): void {
  const outgoing = state.outgoing;
  const backup = state.view.backup;
  assert(state.app !== null && backup !== null && outgoing !== null, "a transfer needs state and a backup");
  while (
    outgoing.nextToSend < outgoing.acked + config.transferWindow &&
    (outgoing.chunkCount === null || outgoing.nextToSend < outgoing.chunkCount)
  ) {
    const chunk = chunkAt(outgoing, state.app.store, outgoing.nextToSend);
    ctx.send(backup, { type: "StateTransfer", ...chunk });
    outgoing.nextToSend += 1;
  }
}

/** Apply an entry on the primary, keeping the snapshot of a transfer in progress intact. */
function applyAsPrimary(state: ServerState, app: App, entry: ForwardEntry): EntryResult {
  if (state.outgoing !== null && entry.type === "op" && entry.op.f !== "get")
    saveSnapshotValue(state.outgoing, app.store, entry.op.key);
  return applyEntry(app, entry);
}

/**
 * The role checks every client message passes: the application state, why
 * the client is refused (nothing was logged), or null to drop the message.
 */
function admit(state: ServerState, message: Message, ctx: Context): App | NotServed | null {
  if (!isClientAddress(message.from)) {
    ctx.log.warn({ from: message.from }, "request from a non-client address refused");
    return null;
  }
  if (state.role !== "primary") return "NotPrimary";
  if (message.viewNum > state.view.viewNum) return "WrongView";
  return state.app ?? "NotReady";
}

/** True when the client's entry `seq` of this type is already queued (a retry of it: its answer will come). */
function isQueued(state: ServerState, type: "op" | "register", client: Address, seq: number): boolean {
  for (const entry of state.pending)
    if (entry.type === type && entry.client === client && entry.seq === seq) return true;
  return false;
}

/**
 * Log a new entry: run it at once when there is no backup to hold it first,
 * else queue and forward it. Returns Busy when the queue is full (nothing
 * logged), else null.
 */
function submit(
  state: ServerState,
  app: App,
  entry: ForwardEntry,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): "Busy" | null {
  if (decisions.servesAlone(state)) {
    const result = applyAsPrimary(state, app, entry);
    state.sentUpTo = app.applied; // nothing to forward: the position counts as sent
    answer(state, entry, result, ctx);
    return null;
  }
  if (state.pending.length >= config.pendingMax && entry.type !== "expire") return "Busy";
  decisions.queued(state, app, entry, ctx, moves);
  state.pending.push(entry);
  sendForwards(state, ctx, config);
  return null;
}

/**
 * The primary's clock for a new entry: never before the entry logged before
 * it, nor before the last one applied (a new primary's clock may lag its
 * predecessor's), so stamps on the log never go back.
 */
function stamp(state: ServerState, app: App, ctx: Context): number {
  return Math.max(ctx.now(), state.pending.at(-1)?.atMs ?? app.timeMs);
}

function opEntry(
  state: ServerState,
  app: App,
  client: Address,
  request: BodyOf<"Request">,
  ctx: Context,
): ForwardEntry {
  const { session, seq, op } = request;
  return { type: "op", client, session, seq, op, atMs: stamp(state, app, ctx) };
}

/**
 * Primary, every pingMs: once the least recently active session has been idle
 * longer than sessionExpiryMs (plus a sixteenth, so that one entry forgets the
 * sessions of that span together rather than one entry per ping), log an
 * entry that forgets every session idle longer than sessionExpiryMs (one at a
 * time in the queue). Replicas apply it at its position, so they forget the
 * same sessions whatever their own clocks say.
 */
function expireIdleSessions(
  state: ServerState,
  app: App,
  ctx: Context,
  config: ProtocolConfig,
  decisions: ServerDecisions,
): void {
  const oldestMs = oldestActivityMs(app);
  if (oldestMs === undefined) return;
  const nowMs = stamp(state, app, ctx);
  if (nowMs - oldestMs <= config.sessionExpiryMs + config.sessionExpiryMs / 16) return;
  for (const queued of state.pending) if (queued.type === "expire") return;
  const entry: ForwardEntry = { type: "expire", beforeMs: nowMs - config.sessionExpiryMs, atMs: nowMs };
  submit(state, app, entry, ctx, config, decisions);
}

/** Backup: the last chunk is in. Forwards held during the transfer now apply, in order. */
function installTransfer(state: ServerState, app: App, ctx: Context, config: ProtocolConfig): void {
  state.app = app;
  state.incoming = null;
  const bufferMax = config.forwardWindow * config.forwardBatchMax * 2;
  applyBuffered(state, app);
  // Held entries past a gap stay only within the normal reordering bound.
  for (const index of state.buffered.keys())
    if (index - app.applied > bufferMax) state.buffered.delete(index);
  ctx.log.info({ viewNum: state.view.viewNum, applied: app.applied }, "state transfer installed");
}

/** Backup: hold a Forward's entries within the reordering bound, and apply them in order. */
function bufferAndApply(
  state: ServerState,
  app: App,
  forward: BodyOf<"Forward">,
  config: ProtocolConfig,
): void {
  const bufferMax = config.forwardWindow * config.forwardBatchMax * 2;
  forward.entries.forEach((entry, offset) => {
    const index = forward.firstIndex + offset;
    if (index > app.applied && index - app.applied <= bufferMax) state.buffered.set(index, entry);
  });
  applyBuffered(state, app);
}

function applyBuffered(state: ServerState, app: App): void {
  for (
    let next = state.buffered.get(app.applied + 1);
    next !== undefined;
    next = state.buffered.get(app.applied + 1)
  ) {
    state.buffered.delete(app.applied + 1);
    applyEntry(app, next);
  }
}

/**
 * Backup during a transfer: hold forwards after the snapshot (up to a bound
 * in entries and characters; beyond it the ack stalls and the primary's
 * queue fills, so it answers Busy) and acknowledge the contiguous ones held.
 */
function holdDuringTransfer(
  state: ServerState,
  incoming: IncomingTransfer,
  forward: BodyOf<"Forward">,
): void {
  forward.entries.forEach((entry, offset) => {
    const index = forward.firstIndex + offset;
    if (index <= incoming.applied || state.buffered.has(index)) return;
    const chars =
      entry.type !== "op" ? 0 : entry.op.key.length + (entry.op.f === "get" ? 0 : entry.op.value.length);
    if (index - incoming.applied > heldForwardsMax || incoming.heldChars + chars > heldForwardCharsMax)
      return;
    state.buffered.set(index, entry);
    incoming.heldChars += chars;
  });
  while (state.buffered.has(incoming.heldUpTo + 1)) incoming.heldUpTo += 1;
}

/** Send pending positions not yet sent, in batches, while the window allows. */
function sendForwards(state: ServerState, ctx: Context, config: ProtocolConfig): void {
  const app = state.app;
  if (app === null || state.view.backup === null || state.role !== "primary") return;
  const lastPending = app.applied + state.pending.length;
  while (state.sentUpTo < lastPending && state.inFlightEnds.length < config.forwardWindow) {
    const firstIndex = state.sentUpTo + 1;
    const lastIndex = batchEnd(state, firstIndex, config);
    sendBatch(state, firstIndex, lastIndex, ctx);
    state.inFlightEnds.push(lastIndex);
    state.sentUpTo = lastIndex;
  }
}

/** Resend everything sent and not yet acknowledged (messages may have been lost). */
function resendForwards(state: ServerState, ctx: Context, config: ProtocolConfig): void {
  const app = state.app;
  if (app === null) return;
  for (let first = app.applied + 1; first <= state.sentUpTo;) {
    const last = Math.min(state.sentUpTo, batchEnd(state, first, config));
    sendBatch(state, first, last, ctx);
    first = last + 1;
  }
}

/**
 * The last position of a batch starting at `firstIndex`: at most
 * forwardBatchMax entries and batchBytesMax encoded bytes, at least one entry.
 */
function batchEnd(state: ServerState, firstIndex: number, config: ProtocolConfig): number {
  const app = state.app;
  assert(app !== null, "forwarding needs state");
  const lastPending = app.applied + state.pending.length;
  let bytes = 0;
  let last = firstIndex - 1;
  while (last < lastPending && last - firstIndex + 1 < config.forwardBatchMax) {
    const entry = state.pending[last + 1 - app.applied - 1]!;
    const op = entry.type === "op" ? entry.op : null;
    const size = entryBytes(op?.key ?? "", op === null || op.f === "get" ? "" : op.value);
    if (last >= firstIndex && bytes + size > batchBytesMax) break;
    bytes += size;
    last += 1;
  }
  return last;
}

function sendBatch(state: ServerState, firstIndex: number, lastIndex: number, ctx: Context): void {
  const app = state.app;
  const backup = state.view.backup;
  assert(app !== null && backup !== null, "forwarding needs state and a backup");
  const offset = firstIndex - app.applied - 1;
  const entries = state.pending.slice(offset, offset + (lastIndex - firstIndex + 1));
  assert(entries.length === lastIndex - firstIndex + 1, "a batch covers pending positions only");
  ctx.send(backup, { type: "Forward", firstIndex, entries });
}

function isFromOurPrimary(state: ServerState, message: Message): boolean {
  return message.from === state.view.primary && message.viewNum === state.view.viewNum;
}

function isFromOurBackup(state: ServerState, message: Message): boolean {
  return (
    state.view.backup !== null && message.from === state.view.backup && message.viewNum === state.view.viewNum
  );
}

/** Answer the client an applied entry came from (an expire entry has none). */
function answer(state: ServerState, entry: ForwardEntry, result: EntryResult, ctx: Context): void {
  switch (entry.type) {
    case "op":
      assert(!("session" in result), "an operation's result");
      return reply(state, entry.client, entry.seq, entry.op, result, ctx);
    case "register":
      assert("session" in result, "a register's result is a session");
      return registerReply(entry.client, entry.seq, { ok: true, session: result.session }, ctx);
    case "expire":
      return;
    default:
      return assertNever(entry, "log entry");
  }
}

function reply(
  state: ServerState,
  client: Address,
  seq: number,
  op: Op,
  result: Exclude<EntryResult, { session: number }>,
  ctx: Context,
): void {
  ctx.emit({ type: "served", viewNum: state.view.viewNum, client, seq, op });
  ctx.send(client, { type: "Reply", seq, result });
}

function registerReply(
  client: Address,
  seq: number,
  result: BodyOf<"RegisterReply">["result"],
  ctx: Context,
): void {
  ctx.send(client, { type: "RegisterReply", seq, result });
}

function replyError(client: Address, seq: number, error: ReplyError, ctx: Context): void {
  ctx.send(client, { type: "Reply", seq, result: { ok: false, error } });
}

function serverInvariants(state: ServerState): void {
  if (state.role === "primary") {
    assert(state.view.primary !== null, "a primary has a view");
    if (state.pending.length > 0)
      assert(isServingPrimary(state), "only a primary with state has pending operations");
    if (state.outgoing !== null) assert(!state.transferAcked, "a transfer is out only until installed");
    const applied = state.app?.applied ?? 0;
    assert(state.sentUpTo <= applied + state.pending.length, "sent positions are pending");
    assert(state.sentUpTo >= applied, "positions applied were sent");
  } else {
    assert(state.pending.length === 0, `a ${state.role} has no pending operations`);
  }
  if (state.role === "idle") assert(state.app === null, "an idle server holds no state");
  if (state.role !== "backup") assert(state.buffered.size === 0, "only a backup buffers forwards");
  if (state.role !== "backup") assert(state.incoming === null, "only a backup receives a transfer");
  if (state.role !== "primary") assert(state.outgoing === null, "only a primary sends a transfer");
  if (state.incoming !== null) assert(state.app === null, "a transfer is received only without state");
  if (state.ackedViewNum > 0)
    assert(state.ackedViewNum <= state.view.viewNum, "no view acknowledged before it is known");
  if (state.app !== null) assert(state.app.lastByClient.size <= sessionsMax, "the session table is bounded");
}

function serverStatus(state: ServerState): NodeStatus {
  const app = state.app;
  return {
    role: state.role,
    viewNum: state.view.viewNum,
    applied: app?.applied ?? 0,
    keys: app?.store.size ?? 0,
    storeBytes: app === null ? 0 : storeEncodedBytes(app.store),
    sessions: app?.lastByClient.size ?? 0,
    transferChunksAcked: state.outgoing?.acked ?? null,
  };
}

function describeServer(state: ServerState): string {
  const app = state.app;
  const data = app === null ? "no state" : `applied ${app.applied}, ${app.store.size} keys`;
  const extra =
    state.role === "primary"
      ? ` pending ${state.pending.length}${state.outgoing === null ? "" : ` (transferring, ${state.outgoing.acked} chunks acked)`}`
      : state.role === "backup" && state.buffered.size > 0
        ? ` buffered ${state.buffered.size}`
        : "";
  return `${state.role} in ${describeView(state.view)}, pings ${state.ackedViewNum}, ${data}${extra}`;
}
