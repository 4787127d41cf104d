// One AMQP connection with recovery (amqplib 2.x `recovery` option): on every
// (re)connect a fresh channel is opened, the cluster topology is declared and
// every attachment (actor host, event subscriber) declares its queues and
// consumers again. Whoever holds the connection keeps its own state across a
// reconnect; only what was in flight is lost, and the protocol retries.
import { EventEmitter } from "node:events";
import amqp, { type Channel, type ChannelModel, type Options, type RecoveringChannelModel } from "amqplib";
import type { Logger } from "pino";
import { SendBatcher } from "./sendBatcher.js";
import { tlsSocketOptions } from "./tls.js";
import { declareTopology, topologyRefreshMs, type TopologyTable } from "./topology.js";

/** Deliveries in flight per consumer (per-consumer prefetch; RabbitMQ 4 has no global one). */
export const prefetchCount = 256;
/** Publishes held while the socket buffer drains; beyond that they are lost (and counted). */
export const outboxMax = 10_000;
/** Seconds between heartbeats, so a dead broker is noticed even without a closed socket. */
export const heartbeatSeconds = 5;
export const connectTimeoutMs = 5_000;
export const reconnectDelayMsMax = 2_000;

/** Something that lives on a connection: it declares its queues and consumers on each connect. */
export interface Attachment {
  /** Called with the new channel on the first connect and after every reconnect. */
  attach(channel: Channel): Promise<void>;
}

export interface BrokerConnectionOptions {
  url: string;
  /** Shown by the broker as the connection's client-provided name (`pbkv <cluster> <address>`). */
  connectionName: string;
  log: Logger;
  /** Declared on every connect; null for a client that only checks the cluster exists. */
  topology: TopologyTable | null;
  /** Retries of the first connection before giving up (default: a few). */
  initialRetriesMax?: number;
  /**
   * Stamp the user as every publish's `user_id` (default true). Only a secure
   * cluster's receivers read it (its users are its principals); an open
   * cluster's hosts leave it out, a property less on every hop (issue 21).
   */
  stampsUserId?: boolean;
}

export class BrokerConnectionError extends Error {
  override readonly name = "BrokerConnectionError";
}

/** Emits `connected` (count of connects so far) and `disconnected` (error). */
export class BrokerConnection extends EventEmitter {
  private model: RecoveringChannelModel | null = null;
  private channel: Channel | null = null;
  private readonly attachments = new Set<Attachment>();
  private outbox: { exchange: string; routingKey: string; content: Buffer; options: Options.Publish }[] = [];
  private waitingForDrain = false;
  private closing = false;
  private connects = 0;
  private refreshTimer: NodeJS.Timeout | null = null;
  /** Why the channel last failed on its own (the connection staying up), if it did. */
  private lastChannelError: string | null = null;
  /** Publishes lost: refused while disconnected, over the outbox bound, or in the outbox at a disconnect. */
  unsentCount = 0;
  /** What this connection's hosts send to one destination in one turn travels in one message (DESIGN §4.2). */
  readonly batcher = new SendBatcher((exchange, routingKey, content, options) =>
    this.publish(exchange, routingKey, content, options),
  );
  /** The last connect corked amqplib's writes (see coalesceWrites). */
  writesCoalesced = false;
  /**
   * The broker user of this connection (guest when the URL names none). Every
   * publish carries it as the AMQP `user_id` (unless `stampsUserId` is false),
   * which RabbitMQ checks against the connection: receivers of a secure
   * cluster learn the sender from it.
   */
  readonly user: string;
  /** What every publish of this connection carries beside its own properties. */
  private readonly stamp: Options.Publish;

  private constructor(private readonly options: BrokerConnectionOptions) {
    super();
    this.user = brokerUserOfUrl(options.url);
    this.stamp = options.stampsUserId === false ? {} : { userId: this.user };
    // An EventEmitter without an error listener throws; errors here are logged.
    this.on("error", (error: Error) =>
      options.log.debug({ reason: error.message }, "broker connection error"),
    );
  }

  static async open(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const connection = new BrokerConnection(options);
    await connection.start();
    return connection;
  }

  get isConnected(): boolean {
    return this.channel !== null;
  }

  get connectCount(): number {
    return this.connects;
  }

  /** Adds an attachment; attaches it now when connected (otherwise on the next connect). */
  async add(attachment: Attachment): Promise<void> {
    this.attachments.add(attachment);
    const channel = this.channel;
    if (channel !== null) await attachment.attach(channel);
  }

  /** Removes an attachment; it is not attached again. Its queues and consumers are its own business. */
  remove(attachment: Attachment): void {
    this.attachments.delete(attachment);
  }

  /** The current channel, for one-off operations (delete a queue, cancel a consumer). */
  currentChannel(): Channel | null {
    return this.channel;
  }

  /**
   * Publishes, respecting `drain`: while the socket buffer is full, messages
   * wait in a bounded outbox. Returns false when the message is lost
   * (disconnected, or the outbox is full).
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    publishOptions: Options.Publish = {},
  ): boolean {
    const options = { ...publishOptions, ...this.stamp };
    const channel = this.channel;
    if (channel === null || this.outbox.length >= outboxMax) {
      this.unsentCount += 1;
      return false;
    }
    if (this.waitingForDrain) {
      this.outbox.push({ exchange, routingKey, content, options });
      return true;
    }
    return this.publishNow(channel, exchange, routingKey, content, options);
  }

  /**
   * Publishes at the end of this turn of the event loop, in one message with
   * whatever else this connection sends to the same exchange and routing key
   * meanwhile (a wire batch, DESIGN §4.2). False when the message is lost at
   * once (disconnected); a loss at the end of the turn counts in `unsentCount`.
   */
  publishBatched(
    exchange: string,
    routingKey: string,
    content: Buffer,
    publishOptions: Options.Publish = {},
  ): boolean {
    if (this.channel === null) {
      this.unsentCount += 1;
      return false;
    }
    this.batcher.send(exchange, routingKey, content, publishOptions);
    return true;
  }

  /**
   * Runs `use` on a channel of its own, closed afterwards: a passive check
   * that fails (404) closes that channel only, not the shared one.
   */
  async withScratchChannel<T>(use: (channel: Channel) => Promise<T>): Promise<T> {
    const model = this.model;
    if (model === null) throw new BrokerConnectionError("not connected");
    const channel = await model.createChannel();
    channel.on("error", () => {}); // the failure reaches `use`'s promise
    try {
      return await use(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /** Drops the connection so that recovery rebuilds channel, topology and consumers. */
  forceReconnect(): void {
    const channel = this.channel;
    if (channel === null || this.closing) return;
    channel.close().catch(() => {}); // its close event closes the connection
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    this.channel = null;
    const model = this.model;
    this.model = null;
    if (model !== null) await model.close().catch(() => {});
  }

  // ---------------------------------------------------------------- internals

  private async start(): Promise<void> {
    const url = withHeartbeat(this.options.url);
    const socketOptions = {
      noDelay: true,
      timeout: connectTimeoutMs,
      clientProperties: { connection_name: this.options.connectionName },
      ...tlsSocketOptions(this.options.url),
      recovery: {
        initialDelay: 100,
        maxDelay: reconnectDelayMsMax,
        factor: 2,
        jitter: 0.2,
        maxRetries: Infinity,
        initialMaxRetries: this.options.initialRetriesMax ?? 3,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    };
    const model = await amqp.connect(url, socketOptions);
    this.model = model;
    model.on("error", (error: Error) =>
      this.options.log.debug({ reason: error.message }, "broker connection error"),
    );
    model.on("handler-error", (error: Error, event: string) =>
      this.options.log.warn({ err: error, event }, "error in a connection event handler"),
    );
    model.on("disconnect", (error: Error) => this.onDisconnect(error));
    model.on("reconnect-scheduled", (info: { attempt: number; delay: number; error: Error }) =>
      this.options.log.debug(
        { attempt: info.attempt, delayMs: info.delay, reason: info.error.message },
        "reconnecting",
      ),
    );
    model.on("connect-failed", (error: Error) => {
      // Before the first connect the caller gets the error; after it, a node that cannot
      // get back is deaf and mute (no pings, no commands): say why each time.
      const level = this.connects === 0 ? "debug" : "warn";
      this.options.log[level]({ reason: error.message }, "broker connection attempt failed");
    });
    model.on("reconnect-failed", (error: Error) => {
      // Before the first connect the caller gets a clear error instead; a log line would only repeat it.
      if (this.connects === 0) this.options.log.debug({ err: error }, "gave up connecting to the broker");
      else this.options.log.error({ err: error }, "gave up reconnecting to the broker");
    });
    try {
      await model.waitForConnect();
    } catch (error) {
      throw new BrokerConnectionError(
        `cannot connect to ${redactUrl(this.options.url)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const topology = this.options.topology;
    if (topology !== null) {
      // Declaring again resets the shared queues' x-expires clock while the cluster runs.
      this.refreshTimer = setInterval(() => {
        if (this.channel === null) return;
        this.withScratchChannel((channel) => declareTopology(channel, topology)).catch((error: Error) =>
          this.options.log.warn({ err: error }, "topology refresh failed"),
        );
      }, topologyRefreshMs);
      this.refreshTimer.unref();
    }
  }

  /** Runs after each successful connection, before the connection is handed out. */
  private async setup(model: ChannelModel): Promise<void> {
    this.writesCoalesced = coalesceWrites(model, this.options.log);
    model.on("error", (error: Error) =>
      this.options.log.debug({ reason: error.message }, "broker connection error"),
    );
    const channel = await model.createChannel();
    channel.on("error", (error: Error) => {
      this.lastChannelError = error.message;
      this.options.log.debug({ reason: error.message }, "broker channel error");
    });
    channel.on("handler-error", (error: Error, event: string) =>
      this.options.log.warn({ err: error, event }, "error in a channel event handler"),
    );
    channel.on("drain", () => this.onDrain(channel));
    channel.on("close", () => this.onChannelClose(channel, model));
    await channel.prefetch(prefetchCount, false);
    if (this.options.topology !== null) await declareTopology(channel, this.options.topology);
    this.channel = channel;
    this.waitingForDrain = false;
    try {
      for (const attachment of [...this.attachments]) await attachment.attach(channel);
    } catch (error) {
      this.channel = null;
      throw error;
    }
    this.connects += 1;
    this.options.log.info({ connects: this.connects }, "connected to the broker");
    this.emit("connected", this.connects);
  }

  private publishNow(
    channel: Channel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): boolean {
    try {
      const flushed = channel.publish(exchange, routingKey, content, options);
      if (!flushed) this.waitingForDrain = true; // amqplib kept it; wait for `drain` before the next
      return true;
    } catch (error) {
      // The channel closed under us (its `close` event follows) or the message is unencodable.
      this.options.log.debug({ err: error, exchange, routingKey }, "publish failed");
      this.unsentCount += 1;
      return false;
    }
  }

  private onDrain(channel: Channel): void {
    if (channel !== this.channel) return;
    this.waitingForDrain = false;
    while (this.outbox.length > 0 && !this.waitingForDrain) {
      const next = this.outbox.shift();
      if (next !== undefined)
        this.publishNow(channel, next.exchange, next.routingKey, next.content, next.options);
    }
  }

  private onChannelClose(channel: Channel, model: ChannelModel): void {
    if (channel !== this.channel) return;
    this.dropChannel();
    if (this.closing) return;
    // A channel error (a missing exchange, say) leaves the connection up but
    // the channel dead: close the connection so recovery rebuilds everything.
    // (When the connection itself went down, `disconnect` says so.)
    const reason = this.lastChannelError;
    this.lastChannelError = null;
    if (reason !== null) this.options.log.warn({ reason }, "broker channel failed; reconnecting");
    model.close().catch(() => {});
  }

  private onDisconnect(error: Error): void {
    this.dropChannel();
    if (this.closing) return;
    this.options.log.warn({ reason: error.message }, "disconnected from the broker; reconnecting");
    this.emit("disconnected", error);
  }

  private dropChannel(): void {
    this.channel = null;
    this.waitingForDrain = false;
    this.unsentCount += this.outbox.length;
    this.outbox = [];
  }
}

/**
 * amqplib queues every frame (a publish, an ack) on its channel's buffer and
 * a muxer copies them to the socket on the next turn of the event loop, one
 * `socket.write` each: one system call per frame. Corking the socket for the
 * length of that pass sends everything one turn produced in a single
 * `writev`, which is what a replicated round trip (a burst of forwards,
 * replies and acks) wants. The muxer is amqplib's own (`connection.muxer`,
 * see amqplib/lib/mux.js); should a later amqplib change its shape, this
 * leaves the connection as it is and says so.
 */
export function coalesceWrites(model: ChannelModel, log: Logger): boolean {
  const connection = (model as { connection?: unknown }).connection;
  const muxer = (connection as { muxer?: unknown } | undefined)?.muxer as
    { _readIncoming?: unknown; out?: { cork?: unknown; uncork?: unknown } } | undefined;
  const readIncoming = muxer?._readIncoming;
  const out = muxer?.out;
  if (
    muxer === undefined ||
    typeof readIncoming !== "function" ||
    typeof out?.cork !== "function" ||
    typeof out.uncork !== "function"
  ) {
    log.debug("amqplib's muxer has an unknown shape: frames are written one by one");
    return false;
  }
  const socket = out as { cork(): void; uncork(): void };
  const pass = readIncoming as (this: unknown) => void;
  muxer._readIncoming = function corkedPass(this: unknown): void {
    socket.cork();
    try {
      pass.call(this);
    } finally {
      socket.uncork();
    }
  };
  return true;
}

/** Adds `heartbeat=N` to the URL unless it sets one. */
function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has("heartbeat")) parsed.searchParams.set("heartbeat", String(heartbeatSeconds));
  return parsed.toString();
}

/** The user an AMQP URL logs in as (amqplib's default: guest). */
export function brokerUserOfUrl(url: string): string {
  try {
    const user = decodeURIComponent(new URL(url).username);
    return user === "" ? "guest" : user;
  } catch {
    return "guest";
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
