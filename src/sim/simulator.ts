import { InvariantError } from "../actors/assert.js";
import { ActorCell, type CellFailure, type CellHost } from "../actors/cell.js";
import { type ActorDefinition, type ClientDefinition, silentLogger } from "../actors/context.js";
import { HistoryRecorder, type RecordedOp } from "../check/recorder.js";
import type { AnyProtocol, ClusterInvariant, LiveNode, ProtocolConfigBase } from "../protocols/protocol.js";
import type { SimObserver } from "../protocols/simSupport.js";
import { defaultProtocolName, protocolNamed } from "../protocols/registry.js";
import { type ActorEvent, historyTypeOf } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import type { Envelope, TimerBase } from "../schemas/envelope.js";
import { describeOp, type Op } from "../schemas/op.js";
import { ClusterChecker, ClusterInvariantError } from "./clusterChecks.js";
import { EventQueue, type Scheduled } from "./eventQueue.js";
import { NetworkFaults } from "./network.js";
import { Random } from "./random.js";

// A deterministic simulator (TigerBeetle's VOPR, etcd raft's test network):
// the same actor code as in production, on virtual time, over a seeded
// network that drops, duplicates, delays and reorders messages, with
// partitions, crashes and same-name restarts. Everything that happens follows
// from the seed, so a failing run is replayed exactly from its seed. It runs
// any protocol: each node is an ActorCell of a role the protocol names.

/** One simulated node: its cell, and the cell's host (transport, clock, timers) on this simulator. */
class Node implements CellHost, LiveNode {
  readonly cell: ActorCell;
  /** This node's entry of `Simulator.sentCount`, once it has sent something (saves a lookup per send). */
  sentCount: Map<string, number> | null = null;
  /** A client's operation in progress (kept on the node: one less map lookup per invoke and per result). */
  outstanding: Outstanding | null = null;

  constructor(
    private readonly sim: Simulator,
    readonly address: Address,
    readonly role: string,
    /** Its place in the order nodes were added (the served ledger's node number). */
    readonly index: number,
    definition: ActorDefinition<unknown>,
    /** The protocol's cluster invariants that read this role's states. */
    readonly invariants: readonly ClusterInvariant[],
  ) {
    this.cell = new ActorCell(address, definition, this, {
      checkInvariants: true,
      log: silentLogger,
      onFailure: (failure) => sim.failed(failure),
    });
  }

  get state(): unknown {
    return this.cell.state;
  }

  now(): number {
    return this.sim.nowMs;
  }
  random(): number {
    return this.sim.random.next();
  }
  messageId(): string {
    return this.sim.nextMessageId();
  }
  sentAt(): number {
    return this.sim.nowMs;
  }
  transmit(envelope: Envelope): void {
    this.sim.transmit(this, envelope);
  }
  schedule(timer: TimerBase, afterMs: number, life: number): void {
    this.sim.scheduleTimer(this, timer, afterMs, life);
  }
  // Timers carry the life they were set in; the cell drops those of an earlier life.
  cancelTimers(): void {}
  emit(event: ActorEvent): void {
    this.sim.onActorEvent(this, event);
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
  timer: TimerBase | null;
  run: (() => void) | null;
}

interface Outstanding {
  op: Op;
  recorded: RecordedOp;
  invokedAtMs: number;
}

type SimEvent =
  | (EventFields & { kind: "deliver"; message: Envelope })
  | (EventFields & { kind: "timer"; node: Node; timer: TimerBase })
  | (EventFields & { kind: "call"; run: () => void });

function deliverEvent(time: number, message: Envelope): SimEvent {
  return { time, order: 0, kind: "deliver", message, node: null, life: 0, timer: null, run: null };
}

function timerEvent(time: number, node: Node, timer: TimerBase, life: number): SimEvent {
  return { time, order: 0, kind: "timer", message: null, node, life, timer, run: null };
}

function callEvent(time: number, run: () => void): SimEvent {
  return { time, order: 0, kind: "call", message: null, node: null, life: 0, timer: null, run };
}

export interface SimulatorOptions {
  seed: number;
  /** The protocol to run (default: the registry's default, pb). */
  protocol?: AnyProtocol;
  /** Made by `protocol.config.make` (default: the protocol's defaults). */
  config?: ProtocolConfigBase;
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
  readonly protocol: AnyProtocol;
  readonly config: ProtocolConfigBase;
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
  /** The protocol's watcher of this run (its stuck-by-design verdict). */
  readonly observer: SimObserver;
  /** Finished operations, oldest first (empty when `keepCompleted` is off). */
  readonly completed: CompletedOp[] = [];
  private readonly nodes = new Map<Address, Node>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly checker: ClusterChecker;
  private readonly definitions = new Map<string, ActorDefinition<unknown>>();
  private readonly clientDefinition: ClientDefinition<unknown>;
  private readonly resultListeners: ((done: CompletedOp) => void)[] = [];
  private readonly traceLinesMax: number;
  private readonly keepCompleted: boolean;
  private readonly traceLines: string[] = [];
  private traceNext = 0;
  private timeMs = 0;
  private messageIds = 1;
  private readonly onSend: ((message: Envelope) => void) | null;

  constructor(options: SimulatorOptions) {
    this.random = new Random(options.seed);
    this.protocol = options.protocol ?? protocolNamed(defaultProtocolName);
    this.config = options.config ?? this.protocol.config.defaults;
    this.traceLinesMax = options.traceLinesMax ?? 0;
    this.keepCompleted = options.keepCompleted ?? true;
    this.onSend = options.onSend ?? null;
    this.history = new HistoryRecorder(() => Math.round(this.timeMs * 1_000_000));
    this.observer = this.protocol.sim.observer(this.config);
    this.checker = new ClusterChecker(this.protocol.clusterInvariants);
    this.clientDefinition = this.protocol.client(this.config);
    this.definitions.set("client", this.clientDefinition);
  }

  get nowMs(): number {
    return this.timeMs;
  }

  // ------------------------------------------------------------ building the cluster

  /** The protocol's cluster with `servers` servers (pb: the view server and server-1 … server-N). */
  addCluster(servers: number): void {
    for (const { address, role } of this.protocol.layout(servers, this.config)) this.addNode(address, role);
  }

  addClient(address: Address): void {
    this.addNode(address, "client");
  }

  /** Starts a node of `role` (a role of the protocol, or "client") at `address`. */
  addNode(address: Address, role: string): void {
    if (this.nodes.has(address)) throw new Error(`node ${address} exists`);
    let definition = this.definitions.get(role);
    if (definition === undefined) {
      definition = this.protocol.actor(role, this.config);
      this.definitions.set(role, definition);
    }
    const invariants = this.checker.reading(role);
    const node = new Node(this, address, role, this.nodes.size, definition, invariants);
    this.nodes.set(address, node);
    this.start(node);
  }

  // ------------------------------------------------------------ faults

  crash(address: Address): void {
    const node = this.node(address);
    if (!node.cell.isUp) return;
    this.observer.onCrash(address, node.role, node.cell.state, this.timeMs);
    node.cell.crash();
    this.checker.down(node);
    this.checker.check(node, this.timeMs);
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
    if (node.cell.isUp) return;
    this.stats.restarts += 1;
    if (this.traceLinesMax > 0) this.trace(`restart ${address}`);
    this.start(node);
  }

  isUp(address: Address): boolean {
    return this.node(address).cell.isUp;
  }

  // ------------------------------------------------------------ clients

  /** Start an operation on an idle client; its completion lands in `completed` and the history. */
  invoke(client: Address, op: Op): void {
    const node = this.node(client);
    if (!node.cell.isUp) throw new Error(`client ${client} is down`);
    if (node.outstanding !== null) throw new Error(`client ${client} is busy`);
    const value = op.f === "get" ? undefined : op.value;
    const recorded = this.history.invoke(client, op.f, op.key, value);
    node.outstanding = { op, recorded, invokedAtMs: this.timeMs };
    if (this.traceLinesMax > 0) this.trace(`invoke ${client} ${describeOp(op)}`);
    const definition = this.clientDefinition;
    node.cell.act("invoke", (state, ctx) => definition.invoke(state, op, ctx));
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

  /** The protocol's reason for clients left unfinished, or null when that is a violation (SimObserver). */
  stuckByDesign(): string | null {
    return this.observer.stuckByDesign();
  }

  // ------------------------------------------------------------ running

  /** Run `run` at virtual time now + afterMs (drivers schedule faults and workloads this way). */
  schedule(afterMs: number, run: () => void): void {
    this.queue.push(callEvent(this.timeMs + afterMs, run));
  }

  /**
   * Deliver `message`, which no node sent, after `afterMs` (links and cuts
   * still apply): a forged or stale envelope, as the broker's chaos sends on
   * an open cluster, where anyone may write any `from`.
   */
  inject(message: Envelope, afterMs = 0): void {
    if (this.traceLinesMax > 0) this.trace(`inject ${this.protocol.describeMessage(message)}`);
    this.queue.push(deliverEvent(this.timeMs + afterMs, message));
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
      const cell = node.cell;
      if (!cell.isUp || cell.life !== event.life) return;
      if (this.traceLinesMax > 0) this.trace(`timer ${node.address} ${event.timer.type}`);
      cell.fire(event.timer, event.life);
      return this.afterEvent(node);
    }
    const message = event.message;
    const node = this.nodes.get(message.to);
    if (node === undefined || !node.cell.isUp || !this.network.canTalk(message.from, message.to)) {
      this.stats.messagesDropped += 1;
      if (this.traceLinesMax > 0) this.trace(`lost ${this.protocol.describeMessage(message)}`);
      return;
    }
    if (this.traceLinesMax > 0) this.trace(`deliver ${this.protocol.describeMessage(message)}`);
    node.cell.deliver(message);
    this.afterEvent(node);
  }

  // ------------------------------------------------------------ inspection

  /** A node's state (the protocol's type for its role), or null while it is down. */
  stateOf(address: Address): unknown {
    return this.node(address).cell.state;
  }

  roleOf(address: Address): string {
    return this.node(address).role;
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

  // ------------------------------------------------------------ the nodes' host (called by Node)

  nextMessageId(): string {
    return String(this.messageIds++);
  }

  scheduleTimer(node: Node, timer: TimerBase, afterMs: number, life: number): void {
    this.queue.push(timerEvent(this.timeMs + afterMs, node, timer, life));
  }

  transmit(node: Node, message: Envelope): void {
    this.stats.messagesSent += 1;
    let counts = node.sentCount;
    if (counts === null) this.sentCount.set(node.address, (counts = node.sentCount = new Map()));
    const type = message.body.type;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    this.onSend?.(message);
    const network = this.network;
    const random = this.random;
    if (network.drops(random)) {
      this.stats.messagesDropped += 1;
      if (this.traceLinesMax > 0) this.trace(`drop ${this.protocol.describeMessage(message)}`);
      return;
    }
    this.queue.push(deliverEvent(this.timeMs + network.delayMs(random), message));
    if (network.duplicates(random))
      this.queue.push(deliverEvent(this.timeMs + network.delayMs(random), message));
  }

  /** A node's handler threw or broke an invariant (the cell stopped it): the run fails, with where and when. */
  failed(failure: CellFailure): never {
    const { error } = failure;
    if (error instanceof InvariantError && !(error instanceof ClusterInvariantError))
      error.message = `${failure.address} at ${this.timeMs.toFixed(3)} ms: ${error.message} (${failure.state})`;
    throw error;
  }

  onActorEvent(node: Node, event: ActorEvent): void {
    this.observer.onEmit(node.address, node.role, node.cell.state, event, this.timeMs);
    if (event.type === "served") return this.checker.served(node, event.viewNum);
    if (event.type !== "result") return;
    const pending = node.outstanding;
    if (pending === null) return;
    node.outstanding = null;
    const outcome = historyTypeOf(event);
    if (outcome === "ok") this.history.ok(pending.recorded, pending.op.f === "get" ? event.value : undefined);
    else this.history[outcome](pending.recorded);
    const done: CompletedOp = {
      client: node.address,
      op: pending.op,
      value: event.value,
      invokedAtMs: pending.invokedAtMs,
      completedAtMs: this.timeMs,
    };
    this.stats.opsCompleted += 1;
    this.stats.opWaitMaxMs = Math.max(this.stats.opWaitMaxMs, done.completedAtMs - done.invokedAtMs);
    if (this.keepCompleted) this.completed.push(done);
    if (this.traceLinesMax > 0)
      this.trace(`result ${node.address} ${describeOp(pending.op)} = ${JSON.stringify(event.value)}`);
    for (const listener of this.resultListeners) listener(done);
  }

  // ------------------------------------------------------------ helpers

  private node(address: Address): Node {
    const node = this.nodes.get(address);
    if (node === undefined) throw new Error(`no node ${address}`);
    return node;
  }

  private start(node: Node): void {
    node.cell.start();
    this.checker.up(node);
    this.afterEvent(node);
  }

  /** After every event of a node: the protocol's observer, then the cluster-wide invariants. */
  private afterEvent(node: Node): void {
    const state = node.cell.state;
    if (state === null) return;
    this.observer.afterEvent(node.address, node.role, state, this.timeMs);
    if (node.invariants.length > 0) this.checker.check(node, this.timeMs);
  }
}
