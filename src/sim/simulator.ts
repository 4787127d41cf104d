import { InvariantError } from "../actors/assert.js";
import { createClient, type ClientState } from "../protocols/pb/client.js";
import { type ProtocolConfig, defaultConfig } from "../protocols/pb/config.js";
import {
  type ActorDefinition,
  type ClientDefinition,
  type Context,
  silentLogger,
} from "../actors/context.js";
import { describeMessage, describeOp } from "../protocols/pb/describe.js";
import { createServer, type ServerState } from "../protocols/pb/server.js";
import { createViewServer, type ViewServerState } from "../protocols/pb/viewServer.js";
import { HistoryRecorder, type RecordedOp } from "../check/recorder.js";
import { type ActorEvent, historyTypeOf } from "../schemas/actorEvents.js";
import { type Address, viewServerAddress } from "../schemas/address.js";
import type { Envelope } from "../schemas/envelope.js";
import type { MessageBody } from "../protocols/pb/messages.js";
import type { Op } from "../schemas/op.js";
import type { Timer } from "../protocols/pb/timers.js";
import { EventQueue, type Scheduled } from "./eventQueue.js";
import { NetworkFaults } from "./network.js";
import { Random } from "./random.js";
import type { RoleEvent } from "./stuck.js";

// A deterministic simulator (TigerBeetle's VOPR, etcd raft's test network):
// the same actor code as in production, on virtual time, over a seeded
// network that drops, duplicates, delays and reorders messages, with
// partitions, crashes and same-name restarts. Everything that happens follows
// from the seed, so a failing run is replayed exactly from its seed.

type AnyState = ViewServerState | ServerState | ClientState;

class Node {
  /** null while crashed. */
  state: AnyState | null = null;
  /** Bumped on every crash so timers set by an earlier life never fire. */
  life = 0;
  /** This node's entry of `Simulator.sentCount`, once it has sent something (saves a lookup per send). */
  sentCount: Map<string, number> | null = null;
  /** A client's operation in progress (kept on the node: one less map lookup per invoke and per result). */
  outstanding: Outstanding | null = null;
  readonly context: Context;

  constructor(
    readonly address: Address,
    readonly definition: ActorDefinition<AnyState>,
    makeContext: (node: Node) => Context,
  ) {
    this.context = makeContext(this);
  }
}

/**
 * Every kind of event has every field (null where unused), written in one
 * order, so all events share one object shape: the queue compares them and
 * `step` reads them on every event, and one shape keeps those accesses
 * monomorphic. One object per event, no wrapper around it.
 */
interface EventFields extends Scheduled {
  kind: "deliver" | "timer" | "call";
  message: Envelope | null;
  /** The node whose timer this is. */
  node: Node | null;
  /** The node's life when the timer was set. */
  life: number;
  timer: Timer | null;
  run: (() => void) | null;
}

interface Outstanding {
  op: Op;
  recorded: RecordedOp;
  invokedAtMs: number;
}

type SimEvent =
  | (EventFields & { kind: "deliver"; message: Envelope })
  | (EventFields & { kind: "timer"; node: Node; timer: Timer })
  | (EventFields & { kind: "call"; run: () => void });

function deliverEvent(time: number, message: Envelope): SimEvent {
  return { time, order: 0, kind: "deliver", message, node: null, life: 0, timer: null, run: null };
}

function timerEvent(time: number, node: Node, timer: Timer): SimEvent {
  return { time, order: 0, kind: "timer", message: null, node, life: node.life, timer, run: null };
}

function callEvent(time: number, run: () => void): SimEvent {
  return { time, order: 0, kind: "call", message: null, node: null, life: 0, timer: null, run };
}

export interface SimulatorOptions {
  seed: number;
  config?: ProtocolConfig;
  /** Keep the last this many trace lines (0: no tracing, fastest). */
  traceLinesMax?: number;
  /**
   * Keep every finished operation in `completed` (default true). Runs that
   * only count and time them (the chaos runs, the speed bench) turn it off:
   * `stats` has the count and the longest wait, and a list that grows by an
   * object per operation is, with the history, most of what the garbage
   * collector copies in a long run.
   */
  keepCompleted?: boolean;
  /** Sees every message as it is sent (tests that check sizes or count chunks). */
  onSend?: (message: Envelope) => void;
}

export interface SimulatorStats {
  events: number;
  messagesSent: number;
  messagesDropped: number;
  crashes: number;
  restarts: number;
  /** Client operations finished (kept in `completed` or not). */
  opsCompleted: number;
  /** Longest wait, invoke to result, of a finished operation, in virtual ms. */
  opWaitMaxMs: number;
}

/** A client's finished operation, as the driver sees it. */
export interface CompletedOp {
  client: Address;
  op: Op;
  value: string;
  invokedAtMs: number;
  completedAtMs: number;
}

export class Simulator {
  readonly random: Random;
  readonly network = new NetworkFaults();
  readonly config: ProtocolConfig;
  readonly history: HistoryRecorder;
  readonly stats: SimulatorStats = {
    events: 0,
    messagesSent: 0,
    messagesDropped: 0,
    crashes: 0,
    restarts: 0,
    opsCompleted: 0,
    opWaitMaxMs: 0,
  };
  /** Messages sent, by sender, then by message type (for traffic budgets). */
  readonly sentCount = new Map<Address, Map<string, number>>();
  /** View changes, acknowledgements and server crashes, in order (stuck.ts reads it). */
  readonly roleLog: RoleEvent[] = [];
  /** Finished operations, oldest first (empty when `keepCompleted` is off). */
  readonly completed: CompletedOp[] = [];
  private readonly nodes = new Map<Address, Node>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly servedBy = new Map<number, Address>();
  private readonly resultListeners: ((done: CompletedOp) => void)[] = [];
  private readonly viewServerDefinition: ActorDefinition<ViewServerState>;
  private readonly serverDefinition: ActorDefinition<ServerState>;
  private readonly clientDefinition: ClientDefinition<ClientState>;
  private readonly traceLinesMax: number;
  private readonly keepCompleted: boolean;
  private readonly traceLines: string[] = [];
  private traceNext = 0;
  private timeMs = 0;
  private ackLoggedViewNum = 0;
  private nextMessageId = 1;
  private readonly onSend: ((message: Envelope) => void) | null;

  constructor(options: SimulatorOptions) {
    this.random = new Random(options.seed);
    this.config = options.config ?? defaultConfig;
    this.traceLinesMax = options.traceLinesMax ?? 0;
    this.keepCompleted = options.keepCompleted ?? true;
    this.onSend = options.onSend ?? null;
    this.history = new HistoryRecorder(() => Math.round(this.timeMs * 1_000_000));
    this.viewServerDefinition = createViewServer(this.config);
    this.serverDefinition = createServer(this.config);
    this.clientDefinition = createClient(this.config);
  }

  get nowMs(): number {
    return this.timeMs;
  }

  // ------------------------------------------------------------ building the cluster

  addViewServer(): void {
    this.addNode(viewServerAddress, this.viewServerDefinition as ActorDefinition<AnyState>);
  }

  addServer(address: Address): void {
    this.addNode(address, this.serverDefinition as ActorDefinition<AnyState>);
  }

  addClient(address: Address): void {
    this.addNode(address, this.clientDefinition as ActorDefinition<AnyState>);
  }

  /** The usual cluster: a view server and servers `server-1` … `server-N`. */
  addCluster(servers: number): void {
    this.addViewServer();
    for (let i = 1; i <= servers; i++) this.addServer(`server-${i}`);
  }

  private addNode(address: Address, definition: ActorDefinition<AnyState>): void {
    if (this.nodes.has(address)) throw new Error(`node ${address} exists`);
    const node = new Node(address, definition, (self) => this.makeContext(self));
    this.nodes.set(address, node);
    this.start(node);
  }

  // ------------------------------------------------------------ faults

  crash(address: Address): void {
    const node = this.node(address);
    if (node.state === null) return;
    if (node.definition === this.serverDefinition) {
      const incarnation = (node.state as ServerState).incarnation;
      this.roleLog.push({ type: "crash", atMs: this.timeMs, address, incarnation });
    }
    node.state = null;
    node.life += 1;
    this.stats.crashes += 1;
    if (this.traceLinesMax > 0) this.trace(`crash ${address}`);
    if (node.outstanding !== null) {
      this.history.info(node.outstanding.recorded);
      node.outstanding = null;
    }
  }

  /** Start again under the same address, with the initial state. */
  restart(address: Address): void {
    const node = this.node(address);
    if (node.state !== null) return;
    this.stats.restarts += 1;
    if (this.traceLinesMax > 0) this.trace(`restart ${address}`);
    this.start(node);
  }

  isUp(address: Address): boolean {
    return this.node(address).state !== null;
  }

  // ------------------------------------------------------------ clients

  /** Start an operation on an idle client; its completion lands in `completed` and the history. */
  invoke(client: Address, op: Op): void {
    const node = this.node(client);
    const state = node.state as ClientState | null;
    if (state === null) throw new Error(`client ${client} is down`);
    if (node.outstanding !== null) throw new Error(`client ${client} is busy`);
    const value = op.f === "get" ? undefined : op.value;
    const recorded = this.history.invoke(client, op.f, op.key, value);
    node.outstanding = { op, recorded, invokedAtMs: this.timeMs };
    if (this.traceLinesMax > 0) this.trace(`invoke ${client} ${describeOp(op)}`);
    this.clientDefinition.invoke(state, op, node.context);
    this.afterEvent(node);
  }

  isBusy(client: Address): boolean {
    const node = this.nodes.get(client);
    return node !== undefined && node.outstanding !== null;
  }

  /** How many messages of these types `from` has sent so far. */
  sentBy(from: Address, types: readonly string[]): number {
    const counts = this.sentCount.get(from);
    return types.reduce((sum, type) => sum + (counts?.get(type) ?? 0), 0);
  }

  /** Longest time an outstanding operation has waited so far. */
  outstandingWaitMaxMs(): number {
    let waitMax = 0;
    for (const node of this.nodes.values())
      if (node.outstanding !== null) waitMax = Math.max(waitMax, this.timeMs - node.outstanding.invokedAtMs);
    return waitMax;
  }

  onResult(listener: (done: CompletedOp) => void): void {
    this.resultListeners.push(listener);
  }

  // ------------------------------------------------------------ running

  /** Run `run` at virtual time now + afterMs (drivers schedule faults and workloads this way). */
  schedule(afterMs: number, run: () => void): void {
    this.queue.push(callEvent(this.timeMs + afterMs, run));
  }

  runFor(durationMs: number): void {
    this.runUntil(() => false, durationMs);
  }

  /** Run until `done()` holds (checked after each event) or `limitMs` of virtual time pass; returns done(). */
  runUntil(done: () => boolean, limitMs: number): boolean {
    const end = this.timeMs + limitMs;
    while (!done()) {
      const next = this.queue.peekTime();
      if (next === undefined || next > end) {
        this.timeMs = end;
        return done();
      }
      this.step();
    }
    return true;
  }

  private step(): void {
    const event = this.queue.pop();
    if (event === undefined) return;
    this.timeMs = event.time;
    this.stats.events += 1;
    if (event.kind === "call") return event.run();
    if (event.kind === "timer") {
      const node = event.node;
      if (node.state === null || node.life !== event.life) return;
      if (this.traceLinesMax > 0) this.trace(`timer ${node.address} ${event.timer.type}`);
      node.definition.onTimer(node.state, event.timer, node.context);
      return this.afterEvent(node);
    }
    const message = event.message;
    const node = this.nodes.get(message.to);
    if (node === undefined || node.state === null || !this.network.canTalk(message.from, message.to)) {
      this.stats.messagesDropped += 1;
      if (this.traceLinesMax > 0) this.trace(`lost ${describeMessage(message)}`);
      return;
    }
    if (this.traceLinesMax > 0) this.trace(`deliver ${describeMessage(message)}`);
    node.definition.onMessage(node.state, message, node.context);
    this.afterEvent(node);
  }

  // ------------------------------------------------------------ inspection

  viewServerState(): ViewServerState | null {
    return this.nodes.get(viewServerAddress)?.state as ViewServerState | null;
  }

  serverState(address: Address): ServerState | null {
    return this.node(address).state as ServerState | null;
  }

  addresses(): Address[] {
    return [...this.nodes.keys()];
  }

  /** The recent trace (when tracing is on), oldest first. */
  trace(line?: string): string[] {
    const lines = this.traceLines;
    if (line !== undefined && this.traceLinesMax > 0) {
      // A ring buffer: the slot after the newest line holds the oldest.
      lines[this.traceNext] = `${this.timeMs.toFixed(3).padStart(10)} ${line}`;
      this.traceNext = (this.traceNext + 1) % this.traceLinesMax;
      return lines;
    }
    return lines.length < this.traceLinesMax
      ? lines.slice()
      : [...lines.slice(this.traceNext), ...lines.slice(0, this.traceNext)];
  }

  // ------------------------------------------------------------ helpers

  private node(address: Address): Node {
    const node = this.nodes.get(address);
    if (node === undefined) throw new Error(`no node ${address}`);
    return node;
  }

  private start(node: Node): void {
    node.state = node.definition.init(node.context);
    this.afterEvent(node);
  }

  private afterEvent(node: Node): void {
    if (node.state === null) return;
    if (node.address === viewServerAddress) this.logAcknowledgement(node.state as ViewServerState);
    try {
      node.definition.invariants(node.state);
    } catch (error) {
      if (error instanceof InvariantError) {
        error.message = `${node.address} at ${this.timeMs.toFixed(3)} ms: ${error.message} (${node.definition.describe(node.state)})`;
      }
      throw error;
    }
  }

  private logAcknowledgement(viewServer: ViewServerState): void {
    const viewNum = viewServer.view.viewNum;
    if (!viewServer.primaryAcked || viewNum === this.ackLoggedViewNum) return;
    this.ackLoggedViewNum = viewNum;
    this.roleLog.push({ type: "ack", atMs: this.timeMs, viewNum });
  }

  private makeContext(node: Node): Context {
    const address = node.address;
    return {
      self: address,
      send: (to, body) => this.send(node, to, body),
      setTimer: (timer, afterMs) => this.queue.push(timerEvent(this.timeMs + afterMs, node, timer)),
      now: () => this.timeMs,
      random: () => this.random.next(),
      emit: (event) => this.onActorEvent(node, event),
      log: silentLogger,
    };
  }

  private send(node: Node, to: Address, body: MessageBody): void {
    const from = node.address;
    // While init runs the state does not exist yet: everything an actor
    // sends from init belongs to view 0.
    const state = node.state;
    this.stats.messagesSent += 1;
    let counts = node.sentCount;
    if (counts === null) this.sentCount.set(from, (counts = node.sentCount = new Map()));
    counts.set(body.type, (counts.get(body.type) ?? 0) + 1);
    const message: Envelope = {
      v: 1,
      id: String(this.nextMessageId++),
      from,
      to,
      viewNum: state === null ? 0 : node.definition.viewNum(state),
      sentAt: this.timeMs,
      body,
    };
    this.onSend?.(message);
    const network = this.network;
    const random = this.random;
    if (network.drops(random)) {
      this.stats.messagesDropped += 1;
      if (this.traceLinesMax > 0) this.trace(`drop ${describeMessage(message)}`);
      return;
    }
    this.queue.push(deliverEvent(this.timeMs + network.delayMs(random), message));
    if (network.duplicates(random))
      this.queue.push(deliverEvent(this.timeMs + network.delayMs(random), message));
  }

  private onActorEvent(node: Node, event: ActorEvent): void {
    const address = node.address;
    if (event.type === "viewChanged" && address === viewServerAddress) {
      // changeView names the primary's process before it emits.
      const { primaryIncarnation } = node.state as ViewServerState;
      this.roleLog.push({ type: "view", atMs: this.timeMs, view: { ...event.view }, primaryIncarnation });
      return;
    }
    if (event.type === "served") {
      const server = this.servedBy.get(event.viewNum);
      if (server !== undefined && server !== address) {
        throw new InvariantError(
          `two servers answered clients as primary of view ${event.viewNum}: ${server} and ${address}`,
        );
      }
      if (server === undefined) this.servedBy.set(event.viewNum, address);
      return;
    }
    if (event.type !== "result") return;
    const pending = node.outstanding;
    if (pending === null) return;
    node.outstanding = null;
    const outcome = historyTypeOf(event);
    if (outcome === "ok") this.history.ok(pending.recorded, pending.op.f === "get" ? event.value : undefined);
    else this.history[outcome](pending.recorded);
    const done: CompletedOp = {
      client: address,
      op: pending.op,
      value: event.value,
      invokedAtMs: pending.invokedAtMs,
      completedAtMs: this.timeMs,
    };
    this.stats.opsCompleted += 1;
    this.stats.opWaitMaxMs = Math.max(this.stats.opWaitMaxMs, done.completedAtMs - done.invokedAtMs);
    if (this.keepCompleted) this.completed.push(done);
    if (this.traceLinesMax > 0)
      this.trace(`result ${address} ${describeOp(pending.op)} = ${JSON.stringify(event.value)}`);
    for (const listener of this.resultListeners) listener(done);
  }
}
