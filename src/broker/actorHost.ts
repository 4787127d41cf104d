// The actor host (DESIGN §3, §5): runs one actor (the same code as under the
// simulator, in the same ActorCell) on its own queue `<c>.actor.<address>`.
// It validates what arrives with the protocol's envelope, gives the cell real
// time, real timers and the fault layer on what it sends, obeys control
// commands, and publishes events and counters. The actor's state lives here,
// in the process, so a reconnect to the broker does not touch it: timers keep
// running while disconnected, and sends meanwhile are lost (the protocol
// retries).
import type { Channel, ConsumeMessage } from "amqplib";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import { ActorCell, type CellFailure, type CellHost } from "../actors/cell.js";
import type { ActorDefinition, Context } from "../actors/context.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import { type Address, isServerAddress } from "../schemas/address.js";
import { ControlCommand } from "../schemas/control.js";
import {
  clusterEventOfActorEvent,
  type ClusterEventBody,
  type NodeCounters,
  zeroCounters,
} from "../schemas/clusterEvents.js";
import type { Envelope, TimerBase } from "../schemas/envelope.js";
import { messageBytesMax } from "../schemas/limits.js";
import { parseDecodedWith, parseJsonWith } from "../schemas/parse.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import { brokerUserOf, type Principal, principalOf, senderRefusal } from "../security/principal.js";
import type { Attachment, BrokerConnection } from "./connection.js";
import { publishClusterEvent } from "./events.js";
import type { ClientInbox, InboxMember } from "./clientInbox.js";
import { HostSender } from "./hostSender.js";
import { RejectReporter } from "./rejectReporter.js";
import { decodeWireContent } from "./wireBatch.js";
import { applyToFaults, cleanFaults, describeFaults, type FaultSettings } from "./faults.js";
import { actorQueueOptions, type ClusterNames, controlQueueOptions } from "./topology.js";

/** Counters are published this often when they changed. */
export const countersIntervalMs = 1_000;

export interface ActorHostOptions<State> {
  names: ClusterNames;
  address: Address;
  /** Its envelope validates what arrives; its descriptions go into debug logs. */
  protocol: AnyProtocol;
  definition: ActorDefinition<State>;
  connection: BrokerConnection;
  log: Logger;
  /** Check the actor's invariants after every event (debug mode). */
  checkInvariants: boolean;
  /** Local listener for what the actor emits (clients wait for their results here). */
  onActorEvent?: (event: ActorEvent) => void;
  /** A handler threw (a broken invariant): the cell has stopped the actor and logged it; the process should stop. */
  onFatal: (error: Error) => void;
  /** A client of a group (src/broker/clientInbox.ts): it receives through the group's inbox, not a queue of its own. */
  inbox?: ClientInbox;
}

export class ActorHost<State> implements Attachment, InboxMember {
  readonly address: Address;
  private readonly names: ClusterNames;
  private readonly definition: ActorDefinition<State>;
  private readonly connection: BrokerConnection;
  private readonly log: Logger;
  private readonly cell: ActorCell<State>;
  /** Who this host is on a secure cluster (from its connection's user); null on an open one. */
  private readonly principal: Principal | null;
  private readonly sender: HostSender;
  private readonly rejects: RejectReporter;
  private stopped = false;
  private initialized = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private faults: FaultSettings = cleanFaults();
  private readonly counters: NodeCounters = zeroCounters();
  private countersPublished = "";
  private countersTimer: NodeJS.Timeout | null = null;
  private channel: Channel | null = null;
  private consumerTags: string[] = [];
  private controlQueue: string | null = null;
  private markAttached: () => void = () => {};
  /** The agreement point published last (--debug). */
  private agreedPoint: string | null = null;
  /** Until when (performance.now()) a `tap` command keeps this host's traffic where taps bind. */
  private tappedUntilMs = 0;
  private readonly firstAttach = new Promise<void>((resolve) => (this.markAttached = resolve));

  constructor(private readonly options: ActorHostOptions<State>) {
    this.address = options.address;
    this.names = options.names;
    this.definition = options.definition;
    this.connection = options.connection;
    this.log = options.log;
    this.principal = principalOf(options.names.cluster, options.connection.user);
    this.rejects = new RejectReporter(options.names, options.address, options.connection, options.log);
    this.sender = new HostSender({
      names: options.names,
      address: options.address,
      asClient: options.definition.kind === "client",
      connection: options.connection,
      protocol: options.protocol,
      counters: this.counters,
      log: options.log,
      isTapped: () => performance.now() < this.tappedUntilMs,
    });
    this.cell = new ActorCell(options.address, options.definition, this.cellHost(), {
      checkInvariants: options.checkInvariants,
      log: options.log,
      onFailure: (failure) => this.onFailure(failure),
    });
  }

  /**
   * Declares the queues, starts the actor and consumes. The actor starts at
   * the first connect: this resolves then (it waits while the broker is away).
   */
  async start(): Promise<void> {
    this.countersTimer = setInterval(() => this.publishCounters(false), countersIntervalMs);
    this.countersTimer.unref();
    this.options.inbox?.join(this);
    await this.connection.add(this);
    await this.firstAttach;
  }

  /** One line on the actor's state, for logs and tests. */
  describe(): string {
    return this.cell.describe();
  }

  countersSnapshot(): NodeCounters {
    return { ...this.counters, lost: this.lost() };
  }

  /** Runs a driver input (a client's invoke) as an event; false when the actor is crashed or stopped. */
  act(input: (state: State, ctx: Context) => void): boolean {
    if (this.stopped) return false;
    const acted = this.cell.act("driver input", input);
    this.publishAgreement();
    return acted;
  }

  /**
   * Stops the actor (timers, consumers) and publishes its last counters.
   * `deleteQueue`: also delete its queue (clients; servers keep theirs for a restart).
   */
  async stop(options: { deleteQueue: boolean }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.markAttached();
    this.clearTimers();
    this.sender.stop();
    if (this.countersTimer !== null) clearInterval(this.countersTimer);
    this.connection.remove(this);
    this.options.inbox?.leave(this);
    this.publishCounters(true);
    this.publishEvent({ type: "lifecycle", state: "stopped" });
    const channel = this.channel;
    this.channel = null;
    if (channel === null || channel !== this.connection.currentChannel()) return;
    for (const tag of this.consumerTags) await channel.cancel(tag).catch(() => {});
    if (this.controlQueue !== null) await channel.deleteQueue(this.controlQueue).catch(() => {});
    if (options.deleteQueue && this.options.inbox === undefined)
      await channel.deleteQueue(this.names.actorQueue(this.address)).catch(() => {});
  }

  // ---------------------------------------------------------------- attachment

  async attach(channel: Channel): Promise<void> {
    if (this.stopped) return;
    const queues = this.options.inbox === undefined ? await this.declareOwnQueues(channel) : [];
    const controlQueue = !this.isClientUser() ? await this.declareControlQueue(channel) : null;
    this.channel = channel;
    this.controlQueue = controlQueue;
    if (this.initialized) {
      this.counters.reconnects += 1;
      this.publishEvent({
        type: "lifecycle",
        state: "connected",
        detail: `reconnect ${this.counters.reconnects}`,
      });
    } else {
      // The actor starts once its first channel is ready, so its first sends are not lost.
      this.initialized = true;
      this.publishEvent({ type: "lifecycle", state: "started", detail: this.definition.kind });
      this.cell.start();
    }
    const consumers = [];
    for (const queue of queues) {
      // An exclusive consumer: a second process with the same address is refused.
      consumers.push(
        await channel.consume(queue, (message) => this.onActorDelivery(channel, message), {
          exclusive: true,
          noAck: this.autoAck,
        }),
      );
    }
    if (controlQueue !== null) {
      consumers.push(
        await channel.consume(controlQueue, (message) => this.onControlDelivery(channel, message), {}),
      );
    }
    this.consumerTags = consumers.map((consumer) => consumer.consumerTag);
    this.markAttached();
  }

  /**
   * Its own queue on `<c>.net` (what nodes send it; a server's also on
   * `<c>.peer`, what other servers send it) and, for a node, its request
   * queue on `<c>.requests` (what clients send it): a flood of client
   * traffic waits in the second, never ahead of a node's messages.
   */
  private async declareOwnQueues(channel: Channel): Promise<string[]> {
    const names = this.names;
    const isClient = this.definition.kind === "client";
    const queue = names.actorQueue(this.address);
    await channel.assertQueue(queue, actorQueueOptions(names, isClient));
    await channel.bindQueue(queue, names.net, this.address);
    if (isServerAddress(this.address)) await channel.bindQueue(queue, names.peer, this.address);
    if (isClient) return [queue];
    const requests = names.requestQueue(this.address);
    await channel.assertQueue(requests, actorQueueOptions(names, false));
    await channel.bindQueue(requests, names.requests, this.address);
    return [queue, requests];
  }

  private async declareControlQueue(channel: Channel): Promise<string> {
    const controlQueue = this.names.controlQueue(this.address, nanoid(8));
    await channel.assertQueue(controlQueue, controlQueueOptions());
    await channel.bindQueue(controlQueue, this.names.control, "");
    return controlQueue;
  }

  /**
   * A secure cluster's client users may not read control commands, events,
   * `<c>.rejected` (docs/SECURITY.md): their hosts take no faults and publish
   * no events; they log and count instead.
   */
  private isClientUser(): boolean {
    return this.principal?.kind === "client";
  }

  // ---------------------------------------------------------------- incoming

  private onActorDelivery(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      this.log.warn("the broker cancelled the actor's consumer (queue deleted?); reconnecting");
      this.connection.forceReconnect();
      return;
    }
    if (this.stopped) return;
    const envelopes = this.validateDelivery(message);
    if (envelopes.length === 0) {
      this.settle(channel, message, "ack"); // all of it refused (and reported)
      return;
    }
    if (!this.cell.isUp) {
      // A crashed process receives nothing: dead-lettered into `<c>.lost` (a batch whole).
      this.counters.refused += envelopes.length;
      this.settle(channel, message, "nack");
      return;
    }
    this.settle(channel, message, "ack");
    this.deliverAll(envelopes);
  }

  /** What the group's inbox received for this client: each envelope checked as if it came alone. */
  receive(items: readonly unknown[], user: string | undefined): void {
    if (this.stopped) return;
    const envelopes: Envelope[] = [];
    for (const item of items) {
      const envelope = this.validateEnvelope(item, user, () => Buffer.from(JSON.stringify(item)));
      if (envelope !== null) envelopes.push(envelope);
    }
    if (envelopes.length === 0) return;
    if (!this.cell.isUp) {
      this.counters.refused += envelopes.length; // a crashed client receives nothing
      return;
    }
    this.deliverAll(envelopes);
  }

  private deliverAll(envelopes: readonly Envelope[]): void {
    for (const envelope of envelopes) {
      if (this.stopped) return;
      this.counters.messagesIn += 1;
      if (this.log.isLevelEnabled("debug"))
        this.log.debug({ message: this.options.protocol.describeMessage(envelope) }, "received");
      this.cell.deliver(envelope);
      this.publishAgreement();
    }
  }

  /**
   * A client's own queue is consumed without acks (`autoAck`): it
   * dead-letters nothing, so a nack would only drop what the broker already
   * dropped, and the acks a reply would cost the broker are saved. A node's
   * queues are acked: a crashed node's messages are dead-lettered into `<c>.lost`.
   */
  private get autoAck(): boolean {
    return this.definition.kind === "client";
  }

  private settle(channel: Channel, message: ConsumeMessage, how: "ack" | "nack"): void {
    if (this.autoAck) return;
    if (how === "ack") safely(() => channel.ack(message));
    else safely(() => channel.nack(message, false, false));
  }

  /**
   * The envelopes a delivery carries that pass every check; the others are
   * refused one by one (a wire batch, src/broker/wireBatch.ts: a bad
   * envelope costs only itself), or the whole delivery when it is oversized,
   * not JSON or a malformed batch.
   */
  private validateDelivery(message: ConsumeMessage): Envelope[] {
    const bytes = message.content.length;
    if (bytes > messageBytesMax) {
      this.reportRejected(message.content, "actor", `oversized: ${bytes} bytes (limit ${messageBytesMax})`);
      return [];
    }
    const decoded = decodeWireContent(message.content.toString("utf8"));
    if (decoded.kind === "invalid") {
      this.reportRejected(message.content, "actor", decoded.reason);
      return [];
    }
    const user = message.properties.userId as string | undefined;
    if (decoded.kind === "one") {
      const envelope = this.validateEnvelope(decoded.data, user, () => message.content);
      return envelope === null ? [] : [envelope];
    }
    const envelopes: Envelope[] = [];
    for (const item of decoded.items) {
      const envelope = this.validateEnvelope(item, user, () => Buffer.from(JSON.stringify(item)));
      if (envelope !== null) envelopes.push(envelope);
    }
    return envelopes;
  }

  /** One envelope checked as if it came alone; null (reported, with `content` kept in `<c>.rejected`) when refused. */
  private validateEnvelope(data: unknown, user: string | undefined, content: () => Buffer): Envelope | null {
    const refusal = this.envelopeRefusal(data, user);
    if (typeof refusal !== "string") return refusal;
    this.reportRejected(content(), "actor", refusal);
    return null;
  }

  /** The envelope, or why it is refused. */
  private envelopeRefusal(data: unknown, user: string | undefined): Envelope | string {
    const parsed = parseDecodedWith(this.options.protocol.envelope, data);
    if (!parsed.ok) return parsed.error;
    if (parsed.value.to !== this.address) return `addressed to ${parsed.value.to}, not to ${this.address}`;
    if (this.principal !== null) {
      // A secure cluster: the broker's user_id says who sent it, not the `from` the sender wrote.
      const sender = principalOf(this.names.cluster, user);
      const refusal = senderRefusal(this.names.cluster, sender, user, parsed.value.from);
      if (refusal !== null) return `forged sender: ${refusal}`;
    }
    return parsed.value;
  }

  private onControlDelivery(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null || this.stopped) return;
    safely(() => channel.ack(message));
    const bytes = message.content.length;
    if (bytes > messageBytesMax) {
      this.rejectControl(message, `oversized: ${bytes} bytes (limit ${messageBytesMax})`);
      return;
    }
    const refusal = this.controlRefusal(message.properties.userId as string | undefined);
    if (refusal !== null) {
      this.rejectControl(message, refusal);
      return;
    }
    const parsed = parseJsonWith(ControlCommand, message.content.toString("utf8"));
    if (!parsed.ok) {
      this.rejectControl(message, parsed.error);
      return;
    }
    this.applyControl(parsed.value);
  }

  /** On a secure cluster only the operator's user commands (its permissions say so; this checks again). */
  private controlRefusal(user: string | undefined): string | null {
    if (this.principal === null) return null;
    const operator = brokerUserOf(this.names.cluster, { kind: "operator" });
    return user === operator
      ? null
      : `not the operator: control commands are ${operator}'s (user_id ${user ?? "none"})`;
  }

  private applyControl(command: ControlCommand): void {
    let effect: string;
    switch (command.type) {
      case "crash":
        if (command.node !== this.address) return;
        effect = this.crash();
        break;
      case "restart":
        if (command.node !== this.address) return;
        effect = this.restart();
        break;
      case "reset":
        applyToFaults(this.faults, command);
        effect = this.cell.crashed
          ? `${this.restart()}; ${describeFaults(this.faults)}`
          : describeFaults(this.faults);
        break;
      case "net":
      case "partition":
      case "heal":
        applyToFaults(this.faults, command);
        effect = describeFaults(this.faults);
        break;
      case "start":
        return; // the supervisor's (src/cli/clusterControl.ts): a running node has nothing to do
      case "tap":
        // Renewed every few seconds while someone watches: not a fault, no event, no info line.
        this.tappedUntilMs = performance.now() + command.forMs;
        this.log.debug({ forMs: command.forMs }, "tapped: sending through the tappable exchanges");
        return;
      case "status": {
        // Read only: answered with the figures, not logged as a fault.
        const state = this.cell.state;
        if (this.definition.status !== undefined && state !== null && this.cell.isUp)
          this.publishEvent({ type: "status", status: this.definition.status(state) });
        return;
      }
    }
    this.log.info({ command, effect }, "control command applied");
    this.publishEvent({ type: "fault", command, effect });
  }

  /** Invalid input: counted, and reported (src/broker/rejectReporter.ts); no state changes. The caller acks. */
  private reportRejected(content: Buffer, source: "actor" | "control", reason: string): void {
    this.counters.rejected += 1;
    this.rejects.report(content, source, reason);
  }

  private rejectControl(message: ConsumeMessage, reason: string): void {
    this.reportRejected(message.content, "control", reason);
  }

  // ---------------------------------------------------------------- the actor's life

  private crash(): string {
    if (!this.cell.crash()) return "already crashed";
    // Info, not a warning: it was asked for, and the lifecycle event reports it.
    this.log.info("crashed by a control command: state dropped, timers cancelled");
    this.publishEvent({ type: "lifecycle", state: "crashed" });
    return "crashed: state dropped, timers cancelled, incoming traffic refused";
  }

  private restart(): string {
    const wasCrashed = this.cell.crashed;
    if (!wasCrashed) this.crash();
    this.agreedPoint = null;
    this.cell.start();
    this.log.info("restarted with a fresh state");
    this.publishEvent({ type: "lifecycle", state: "restarted" });
    return wasCrashed ? "restarted with a fresh state" : "crashed and restarted with a fresh state";
  }

  /** The cell stopped the actor and logged at error level; the node process exits 70 (its onFatal). */
  private onFailure(failure: CellFailure): void {
    const { error } = failure;
    this.publishEvent({ type: "lifecycle", state: "crashed", detail: `${error.name}: ${error.message}` });
    this.options.onFatal(error);
  }

  // ---------------------------------------------------------------- the context

  private cellHost(): CellHost {
    return {
      // One clock for every process (the primary stamps it into the log, DESIGN §4.1).
      now: () => performance.timeOrigin + performance.now(),
      random: () => Math.random(),
      messageId: () => nanoid(),
      // Epoch milliseconds with sub-millisecond precision: comparable across the processes of one machine.
      sentAt: () => performance.timeOrigin + performance.now(),
      transmit: (envelope) => this.send(envelope),
      schedule: (timer, afterMs, life) => this.setTimer(timer, afterMs, life),
      cancelTimers: () => this.clearTimers(),
      emit: (event) => this.onActorEmit(event),
    };
  }

  private send(envelope: Envelope): void {
    if (!this.stopped) this.sender.send(envelope, this.faults);
  }

  private setTimer(timer: TimerBase, afterMs: number, life: number): void {
    if (this.stopped) return;
    const handle = setTimeout(() => {
      this.timers.delete(handle);
      if (this.stopped) return;
      // The cell drops a timer of an earlier life (set before a crash).
      if (this.cell.fire(timer, life)) this.counters.timersFired += 1;
      this.publishAgreement();
    }, afterMs);
    this.timers.add(handle);
  }

  private clearTimers(): void {
    for (const handle of this.timers) clearTimeout(handle);
    this.timers.clear();
  }

  private onActorEmit(event: ActorEvent): void {
    this.options.onActorEvent?.(event);
    if (event.type === "served") this.counters.served += 1;
    const body = clusterEventOfActorEvent(event);
    if (body !== null) this.publishEvent(body);
  }

  // ---------------------------------------------------------------- events and counters

  /**
   * With --debug: where the state is for the protocol's agreement, published
   * when it moves, so that a checker can compare nodes at the same point
   * (DESIGN §9): states live in separate processes and share no moment.
   */
  private publishAgreement(): void {
    const agreement = this.options.protocol.agreement;
    const state = this.cell.state;
    if (!this.options.checkInvariants || agreement === null || state === null) return;
    const role = this.definition.kind;
    const point = agreement.pointOf(role, state);
    if (point === null || point === this.agreedPoint) return;
    this.agreedPoint = point;
    const digest = agreement.digestOf(role, state);
    this.publishEvent({ type: "agreement", name: agreement.name, point, digest });
  }

  private publishEvent(body: ClusterEventBody): void {
    if (this.isClientUser()) return; // a client user may not write events
    publishClusterEvent(this.connection, this.names, this.address, body);
  }

  private lost(): number {
    const c = this.counters;
    return c.dropped + c.partitioned + c.refused + c.unsent;
  }

  private publishCounters(force: boolean): void {
    const counters = this.countersSnapshot();
    const text = JSON.stringify(counters);
    if (!force && text === this.countersPublished) return;
    if (!this.connection.isConnected) return; // publish when back
    this.publishEvent({ type: "counters", counters });
    this.countersPublished = text;
  }
}

/** Acks and nacks on a channel that closed meanwhile throw; the broker redelivers or drops them anyway. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    // the channel is gone; recovery opens a new one
  }
}
