// The dashboard's side of the broker: one connection, three exclusive
// auto-delete queues of its own, and nothing the actors depend on.
//
// - events: bound to the topic exchange `<c>.events` with `#`.
// - net tap: bound to `<c>.net` (and `<c>.requests`, `<c>.peer`) once per
//   actor address (the protocol's nodes, clients while they run). An
//   exchange hands every queue bound with the routing key its own copy, so
//   the actors' queues get exactly what they got before; delayed copies
//   arrive here when their bucket dead-letters them into `<c>.net`, marked by
//   `x-death`. Nodes send there, not straight into each other's queues,
//   while the dashboard holds a tap lease (src/broker/tapLease.ts).
// - lost tap: bound to the fanout `<c>.lost`: a copy of every drop,
//   partition loss, refusal by a crashed node, expiry and unroutable message.
//
// The taps carry a TTL and a length bound and no dead-letter exchange: under
// load the broker drops their oldest copies, never counts them as lost, and
// never holds up a publisher (acknowledged consumers with a prefetch window).
// Bindings are made on a scratch channel, so a cluster that is not (yet)
// running costs a failed check, not the connection; they are asserted again
// every few seconds, which also follows a cluster that was restarted.
import type { Channel, ConsumeMessage } from "amqplib";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import { ActorHost } from "../broker/actorHost.js";
import { netRoutingKey } from "../broker/clientInbox.js";
import { type Attachment, BrokerConnection } from "../broker/connection.js";
import { TapLease } from "../broker/tapLease.js";
import type { ClusterNames } from "../broker/topology.js";
import { createViewProbe } from "../broker/viewProbe.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { type Address, isClientAddress, isServerAddress } from "../schemas/address.js";
import { ClusterEvent } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import { parseJsonWith } from "../schemas/parse.js";
import type { View } from "../schemas/view.js";
import { classifyDeliveries, type TappedMessage } from "./tap.js";
import { newClientAddress } from "../security/principal.js";

/** Bindings are asserted again this often (and the cluster's presence checked). */
export const bindingsRefreshMs = 2_000;
/** Tap copies older than this are useless to a live diagram: the broker discards them. */
export const tapMessageTtlMs = 2_000;
/** At most this many copies wait in a tap queue; beyond, the oldest are dropped. */
export const tapQueueLengthMax = 2_000;
export const eventsQueueLengthMax = 10_000;
/** Client addresses tapped at once (each is one binding). */
export const tappedClientsMax = 64;
/** A tapped client not heard from this long is unbound (it normally says `stopped`). */
export const tappedClientIdleMs = 60_000;
/** Tap deliveries are acknowledged in batches of this many (or every ackIntervalMs). */
export const ackBatch = 64;
export const ackIntervalMs = 100;
export const viewProbeTimeoutMs = 3_000;
/** The nodes are asked for their status (figures) this often, while `wantsStatus()`. */
export const statusPollMs = 1_000;

/** Epoch milliseconds with sub-millisecond precision, the clock of an envelope's `sentAt`. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface FeedOptions {
  protocol: AnyProtocol;
  url: string;
  names: ClusterNames;
  log: Logger;
  /** Bind the message taps (off: events only). */
  tap: boolean;
  /** The cluster's configuration: who answers the view query (VR: its replicas), the probe's retry. */
  config: ProtocolConfigBase;
  onEvent(event: ClusterEvent): void;
  /** An event that failed the schema: skipped, but counted and shown (a publisher is broken). */
  onInvalidEvent(reason: string, at: number): void;
  onTapped(message: TappedMessage, receivedAt: number): void;
  onStatus(status: { connected: boolean; clusterRunning: boolean }): void;
  onProbedView(view: View, at: number): void;
  /** Whether the dashboard still lacks a view (then a probe asks for it). */
  needsView(): boolean;
  /** Whether to ask the nodes for their status (a `status` control command) again. */
  wantsStatus(): boolean;
}

export class ControlRefusedError extends Error {
  override readonly name = "ControlRefusedError";
}

export class DashboardFeed implements Attachment {
  private readonly queues: { events: string; net: string; lost: string };
  private channel: Channel | null = null;
  private clusterRunning = false;
  /** The protocol's nodes seen so far; those that exist whatever the number of servers from the start (pb: the view server). */
  private readonly servers: Set<Address>;
  /** Client address → epoch ms last heard of. */
  private readonly clients = new Map<Address, number>();
  /** Routing keys bound on `<c>.net`: the servers' addresses and the clients' (their groups'). */
  private readonly boundNet = new Set<string>();
  private syncing: Promise<void> = Promise.resolve();
  private syncQueued = false;
  private refreshTimer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private probe: ActorHost<unknown> | null = null;
  private closed = false;
  /** With `tap`: keeps the nodes' traffic where the net tap is bound. */
  private readonly lease: TapLease | null;
  private unacked: { channel: Channel; message: ConsumeMessage; count: number } | null = null;
  private ackTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly connection: BrokerConnection,
    private readonly options: FeedOptions,
  ) {
    this.servers = new Set(options.protocol.layout(0).map((node) => node.address));
    const prefix = `${options.names.cluster}.dashboard.${nanoid(8).replace(/[^A-Za-z0-9]/g, "x")}`;
    this.queues = { events: `${prefix}.events`, net: `${prefix}.net`, lost: `${prefix}.lost` };
    this.lease = options.tap
      ? new TapLease((command) =>
          this.publishControl(command).catch((error: Error) =>
            options.log.debug({ reason: error.message }, "renewing the tap lease failed"),
          ),
        )
      : null;
  }

  static async open(options: FeedOptions): Promise<DashboardFeed> {
    const connection = await BrokerConnection.open({
      url: options.url,
      connectionName: `pbkv ${options.names.cluster} dashboard`,
      log: options.log,
      topology: null,
    });
    const feed = new DashboardFeed(connection, options);
    connection.on("disconnected", () => feed.onDisconnected());
    await connection.add(feed);
    feed.refreshTimer = setInterval(() => feed.requestSync(true), bindingsRefreshMs);
    feed.refreshTimer.unref();
    feed.statusTimer = setInterval(() => feed.askStatus(), statusPollMs);
    feed.statusTimer.unref();
    feed.lease?.start();
    return feed;
  }

  get isConnected(): boolean {
    return this.connection.isConnected;
  }

  /** Publishes on `<c>.control` through a scratch channel, after checking the exchange exists. */
  async publishControl(command: ControlCommand): Promise<void> {
    const names = this.options.names;
    if (!this.connection.isConnected) throw new ControlRefusedError("not connected to the broker");
    try {
      await this.connection.withScratchChannel(async (channel) => {
        await channel.checkExchange(names.control);
        // As every publish of BrokerConnection: the broker checks the user_id, and the
        // hosts of a secure cluster take control commands from its operator only.
        channel.publish(names.control, "", Buffer.from(JSON.stringify(command)), {
          contentType: "application/json",
          type: command.type,
          userId: this.connection.user,
        });
      });
    } catch (error) {
      const missing = (error as { code?: unknown }).code === 404;
      const reason = missing ? `no exchange ${names.control}` : (error as Error).message;
      throw new ControlRefusedError(`cluster "${names.cluster}" is not running on this broker: ${reason}`, {
        cause: error,
      });
    }
  }

  /**
   * Every node answers `status` with a `status` event (read only: nothing is
   * logged as a fault); their figures (VR: status, op-number, commit-number)
   * come back on the events queue. Skipped while the cluster is not running.
   */
  private askStatus(): void {
    if (this.closed || !this.clusterRunning || !this.options.wantsStatus()) return;
    this.publishControl({ type: "status" }).catch((error: Error) => {
      this.options.log.debug({ reason: error.message }, "asking the nodes' status failed");
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    if (this.statusTimer !== null) clearInterval(this.statusTimer);
    this.lease?.stop();
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    await this.stopProbe();
    this.connection.remove(this);
    await this.syncing.catch(() => {});
    await this.connection.close(); // the exclusive queues go with it
  }

  // ---------------------------------------------------------------- attachment

  async attach(channel: Channel): Promise<void> {
    if (this.closed) return;
    const tapArguments = { "x-message-ttl": tapMessageTtlMs, "x-max-length": tapQueueLengthMax };
    const exclusive = { exclusive: true, durable: false, autoDelete: true };
    await channel.assertQueue(this.queues.events, {
      ...exclusive,
      arguments: { "x-max-length": eventsQueueLengthMax },
    });
    await channel.consume(this.queues.events, (message) => this.onEventDelivery(message), { noAck: true });
    if (this.options.tap) {
      for (const [source, queue] of [
        ["net", this.queues.net],
        ["lost", this.queues.lost],
      ] as const) {
        await channel.assertQueue(queue, { ...exclusive, arguments: tapArguments });
        await channel.consume(queue, (message) => this.onTapDelivery(channel, source, message), {
          noAck: false,
        });
      }
    }
    this.channel = channel;
    this.boundNet.clear(); // new queues: nothing bound yet
    this.unacked = null;
    this.requestSync(true);
  }

  // ---------------------------------------------------------------- deliveries

  private onEventDelivery(message: ConsumeMessage | null): void {
    if (message === null || this.closed) return;
    const parsed = parseJsonWith(ClusterEvent, message.content.toString("utf8"));
    if (!parsed.ok) {
      this.options.log.warn({ reason: parsed.error }, "invalid cluster event skipped");
      this.options.onInvalidEvent(parsed.error, epochNow());
      return;
    }
    const event = parsed.value;
    this.noteAddress(event.node, event.at, event.type === "lifecycle" && event.state === "stopped");
    this.options.onEvent(event);
  }

  private onTapDelivery(channel: Channel, source: "net" | "lost", message: ConsumeMessage | null): void {
    if (message === null || this.closed) return;
    this.ackLater(channel, message);
    const { protocol, names } = this.options;
    const receivedAt = epochNow();
    for (const tapped of classifyDeliveries(protocol, names.cluster, source, message)) {
      if (tapped.traffic === "request") this.noteAddress(tapped.from, receivedAt, false);
      this.options.onTapped(tapped, receivedAt);
    }
  }

  /** Acknowledges in batches: `multiple` acks everything up to the newest delivery. */
  private ackLater(channel: Channel, message: ConsumeMessage): void {
    const pending = this.unacked;
    const count = pending !== null && pending.channel === channel ? pending.count + 1 : 1;
    this.unacked = { channel, message, count };
    if (count >= ackBatch) {
      this.flushAcks();
      return;
    }
    if (this.ackTimer === null) {
      this.ackTimer = setTimeout(() => this.flushAcks(), ackIntervalMs);
      this.ackTimer.unref();
    }
  }

  private flushAcks(): void {
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    const pending = this.unacked;
    this.unacked = null;
    if (pending === null || pending.channel !== this.channel) return;
    try {
      pending.channel.ack(pending.message, true);
    } catch {
      // the channel closed meanwhile: the broker requeues, the tap forgets
    }
  }

  // ---------------------------------------------------------------- bindings

  /** Servers are tapped once seen; clients while they run. */
  private noteAddress(address: Address, at: number, stopped: boolean): void {
    const role = this.options.protocol.roleOf(address);
    if (role !== null && role !== "client") {
      if (this.servers.has(address)) return;
      this.servers.add(address);
      this.requestSync(false);
      return;
    }
    if (!this.options.tap || !isClientAddress(address) || this.isProbe(address)) return;
    if (stopped) {
      if (this.clients.delete(address)) this.requestSync(false);
      return;
    }
    const known = this.clients.has(address);
    if (!known && this.clients.size >= tappedClientsMax) return;
    this.clients.set(address, at);
    if (!known) this.requestSync(false);
  }

  private isProbe(address: Address): boolean {
    return this.probe !== null && this.probe.address === address;
  }

  private requestSync(periodic: boolean): void {
    if (this.closed) return;
    if (periodic) this.boundNet.clear(); // assert everything again: the exchanges may be new
    if (this.syncQueued) return;
    this.syncQueued = true;
    this.syncing = this.syncing.then(async () => {
      this.syncQueued = false;
      await this.sync().catch((error: Error) => {
        this.options.log.debug({ reason: error.message }, "binding the dashboard's queues failed");
        this.boundNet.clear();
      });
    });
  }

  private async sync(): Promise<void> {
    if (this.closed || this.channel === null || !this.connection.isConnected) return;
    const names = this.options.names;
    const now = epochNow();
    for (const [client, at] of this.clients) if (now - at > tappedClientIdleMs) this.clients.delete(client);
    // A client of a group is reached through its group's key (src/broker/clientInbox.ts).
    const wanted = new Set<string>([...this.servers, ...[...this.clients.keys()].map(netRoutingKey)]);
    const running = await this.connection
      .withScratchChannel(async (channel) => {
        await channel.checkExchange(names.events);
        await channel.bindQueue(this.queues.events, names.events, "#");
        if (!this.options.tap) return true;
        await channel.bindQueue(this.queues.lost, names.lost, "");
        for (const address of wanted) {
          if (this.boundNet.has(address)) continue;
          await channel.bindQueue(this.queues.net, names.net, address);
          // What clients send a node travels on `<c>.requests`, what servers send a server on `<c>.peer`.
          if (this.servers.has(address)) await channel.bindQueue(this.queues.net, names.requests, address);
          if (isServerAddress(address)) await channel.bindQueue(this.queues.net, names.peer, address);
          this.boundNet.add(address);
        }
        for (const address of [...this.boundNet]) {
          if (wanted.has(address)) continue;
          await channel.unbindQueue(this.queues.net, names.net, address);
          if (this.servers.has(address)) await channel.unbindQueue(this.queues.net, names.requests, address);
          if (isServerAddress(address)) await channel.unbindQueue(this.queues.net, names.peer, address);
          this.boundNet.delete(address);
        }
        return true;
      })
      .catch(() => false);
    this.setRunning(running);
    if (running && this.options.needsView()) this.startProbe();
  }

  private setRunning(running: boolean): void {
    this.clusterRunning = running;
    if (!running) this.boundNet.clear();
    this.options.onStatus({ connected: this.connection.isConnected, clusterRunning: running });
  }

  private onDisconnected(): void {
    this.channel = null;
    this.boundNet.clear();
    this.options.onStatus({ connected: false, clusterRunning: this.clusterRunning });
  }

  // ---------------------------------------------------------------- the first view

  /** A dashboard started after the cluster asks for the view once (views are published only on change). */
  private startProbe(): void {
    if (this.probe !== null || this.closed) return;
    const probe = new ActorHost({
      names: this.options.names,
      address: newClientAddress(this.options.names.cluster, this.connection.user),
      protocol: this.options.protocol,
      definition: createViewProbe(this.options.protocol.broker.viewQuery, this.options.config),
      connection: this.connection,
      log: this.options.log.child({ node: "dashboard-view-probe" }),
      checkInvariants: false,
      onActorEvent: (event) => {
        if (event.type !== "viewChanged") return;
        this.options.onProbedView(event.view, epochNow());
        void this.stopProbe();
      },
      onFatal: () => void this.stopProbe(),
    });
    this.probe = probe as ActorHost<unknown>;
    probe.start().catch((error: Error) => {
      this.options.log.debug({ reason: error.message }, "view probe failed");
      void this.stopProbe();
    });
    setTimeout(() => {
      if (this.probe === probe) void this.stopProbe();
    }, viewProbeTimeoutMs).unref();
  }

  private async stopProbe(): Promise<void> {
    const probe = this.probe;
    if (probe === null) return;
    await probe.stop({ deleteQueue: true }).catch(() => {});
    if (this.probe === probe) this.probe = null;
  }
}
