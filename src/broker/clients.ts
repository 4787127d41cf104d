// Client actors on the broker, for `npm run kv`, `npm run load` and tests:
// each client is the protocol's client actor, all sharing one connection and
// one exclusive queue, the group's inbox (`<c>.actor.client-<id>`; a member is
// `client-<id>--<n>`, src/broker/clientInbox.ts). A client whose op
// timed out is retired (its op may still happen) and replaced by a fresh one.
import type { Logger } from "pino";
import type { ClientDefinition } from "../actors/context.js";
import type { ViewQuery } from "../protocols/brokerSupport.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import type { Op } from "../schemas/op.js";
import type { View } from "../schemas/view.js";
import { ActorHost } from "./actorHost.js";
import { ClientInbox, groupMemberAddress } from "./clientInbox.js";
import { BrokerConnection, brokerUserOfUrl } from "./connection.js";
import { RejectReporter } from "./rejectReporter.js";
import type { ClusterNames } from "./topology.js";
import { createViewProbe } from "./viewProbe.js";
import { isPrincipalOf, newClientAddress } from "../security/principal.js";

/**
 * ok: it happened; failed: the servers refused it and nothing changed (an
 * append past the value limit); timeout: unknown (it may still happen);
 * expired: unknown, the servers had forgotten the client's session (it may
 * have happened once, never again; the client opens a new session for its
 * next op); refused: the client actor is not running, it did not happen.
 */
export type OpOutcome =
  | { kind: "ok"; value: string }
  | { kind: "failed"; error: "ValueTooLarge" }
  | { kind: "expired" }
  | { kind: "timeout" }
  | { kind: "refused" };
type Settled = Extract<OpOutcome, { kind: "ok" | "failed" | "expired" }>;

export class ClusterNotRunningError extends Error {
  override readonly name = "ClusterNotRunningError";
}

export class ClientTimeoutError extends Error {
  override readonly name = "ClientTimeoutError";
}

export interface BrokerClientsOptions {
  url: string;
  names: ClusterNames;
  /** Its client actor serves the ops; its view query answers getView. */
  protocol: AnyProtocol;
  config: ProtocolConfigBase;
  log: Logger;
  checkInvariants: boolean;
  /** Names the connection `pbkv <cluster> <label>` on the broker. */
  label: string;
}

/** One connection for any number of client actors. */
export class BrokerClients {
  private readonly sessions = new Set<ClientSession>();
  private fatalError: Error | null = null;
  /** The client actors' shared queue: they are members of one group (src/broker/clientInbox.ts). */
  readonly inbox: ClientInbox;
  private members = 0;

  private constructor(
    readonly connection: BrokerConnection,
    private readonly options: BrokerClientsOptions,
  ) {
    const group = this.newAddress();
    const log = options.log.child({ node: group });
    this.inbox = new ClientInbox(
      options.names,
      group,
      new RejectReporter(options.names, group, connection, log),
    );
  }

  /** Connects and checks that the cluster's exchanges exist. */
  static async open(options: BrokerClientsOptions): Promise<BrokerClients> {
    const connection = await BrokerConnection.open({
      url: options.url,
      connectionName: `pbkv ${options.names.cluster} ${options.label}`,
      log: options.log,
      topology: null,
      stampsUserId: isPrincipalOf(options.names.cluster, brokerUserOfUrl(options.url)),
    });
    try {
      await assertClusterExists(connection, options.names);
      const clients = new BrokerClients(connection, options);
      await connection.add(clients.inbox);
      return clients;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /**
   * A new client actor of the group, ready for one op at a time. It
   * starts once connected: while the broker is away this waits, up to
   * `timeoutMs` (then ClientTimeoutError).
   */
  async newClient(timeoutMs = Infinity): Promise<ClientSession> {
    this.members += 1;
    const address = groupMemberAddress(this.inbox.group, this.members);
    const session = new ClientSession(this, this.options, address, this.inbox);
    this.sessions.add(session);
    try {
      await (timeoutMs === Infinity
        ? session.start()
        : withTimeout(session.start(), timeoutMs, `not connected to the broker within ${timeoutMs} ms`));
    } catch (error) {
      await session.stop();
      throw error;
    }
    return session;
  }

  /** A fresh client address: on a secure cluster, one its user may speak as. */
  private newAddress(): Address {
    return newClientAddress(this.options.names.cluster, this.connection.user);
  }

  /**
   * Asks the cluster for its configuration (`protocol.broker.viewQuery`), through a one-off probe actor;
   * `nodes`: only these of the query's nodes (the bench asks each replica for its own view);
   * `asked`: another query than the protocol's (`npm run reconfigure` asks a slot whatever its status).
   */
  async getView(timeoutMs: number, nodes?: readonly Address[], asked?: ViewQuery): Promise<View> {
    const log = this.options.log.child({ node: "view-probe" });
    let resolveView: (view: View) => void = () => {};
    const viewPromise = new Promise<View>((resolve) => (resolveView = resolve));
    const { protocol, config } = this.options;
    const everyNode = asked ?? protocol.broker.viewQuery;
    const query = nodes === undefined ? everyNode : { ...everyNode, to: () => nodes };
    const host = new ActorHost({
      names: this.options.names,
      address: this.newAddress(),
      protocol,
      definition: createViewProbe(query, config),
      connection: this.connection,
      log,
      checkInvariants: this.options.checkInvariants,
      onActorEvent: (event) => {
        if (event.type === "viewChanged") resolveView(event.view);
      },
      onFatal: (error) => this.onFatal(error),
    });
    await host.start();
    try {
      return await withTimeout(
        viewPromise,
        timeoutMs,
        `no answer from ${query.to(config).join(", ")} within ${timeoutMs} ms`,
      );
    } finally {
      await host.stop({ deleteQueue: true });
    }
  }

  async close(): Promise<void> {
    for (const session of [...this.sessions]) await session.stop();
    await this.connection.close();
  }

  /** The first fatal error of any client actor (a broken invariant), if any. */
  get fatal(): Error | null {
    return this.fatalError;
  }

  onFatal(error: Error): void {
    this.fatalError ??= error;
  }

  forget(session: ClientSession): void {
    this.sessions.delete(session);
  }
}

export class ClientSession {
  private readonly definition: ClientDefinition<unknown>;
  private readonly host: ActorHost<unknown>;
  /**
   * The op in flight. A client actor has one op outstanding and reports it
   * with exactly one `result` event (the ClientDefinition contract): the
   * first result after invoke is its answer, whatever the protocol numbers it.
   */
  private waiting: { resolve: (outcome: Settled) => void } | null = null;
  private retired = false;

  constructor(
    private readonly owner: BrokerClients,
    options: BrokerClientsOptions,
    readonly address: Address,
    inbox: ClientInbox,
  ) {
    const { protocol, config } = options;
    const definition = protocol.client(protocol.broker.clientConfig?.(config) ?? config);
    this.host = new ActorHost({
      names: options.names,
      address,
      protocol: options.protocol,
      definition,
      connection: owner.connection,
      log: options.log.child({ node: address }),
      checkInvariants: options.checkInvariants,
      onActorEvent: (event) => {
        if (event.type !== "result" || this.waiting === null) return;
        const waiting = this.waiting;
        this.waiting = null;
        waiting.resolve(outcomeOf(event));
      },
      onFatal: (error) => owner.onFatal(error),
      inbox,
    });
    this.definition = definition;
  }

  async start(): Promise<void> {
    await this.host.start();
  }

  /** True once an op timed out: the session must not be used again (its op may still run). */
  get isRetired(): boolean {
    return this.retired;
  }

  /**
   * Runs one op; on timeout, or when `stop` is aborted first (an interrupted
   * command), the session is retired (stopped) and the outcome is unknown.
   */
  async invoke(op: Op, timeoutMs: number, stop?: AbortSignal): Promise<OpOutcome> {
    if (this.retired || this.waiting !== null)
      throw new Error(`client ${this.address} is not ready for an op`);
    // Waiting before invoke: an actor may answer at once (a value it refuses to send).
    const result = new Promise<Settled>((resolve) => {
      this.waiting = { resolve };
    });
    const invoked = this.host.act((state, ctx) => this.definition.invoke(state, op, ctx));
    if (!invoked) {
      this.waiting = null;
      // Crashed by a control command (or stopped): the op never reached the actor.
      await this.stop();
      return { kind: "refused" };
    }
    try {
      return await withTimeout(result, timeoutMs, "timeout", stop);
    } catch (error) {
      if (!(error instanceof ClientTimeoutError)) throw error;
      this.waiting = null;
      await this.stop();
      return { kind: "timeout" };
    }
  }

  async stop(): Promise<void> {
    this.retired = true;
    this.owner.forget(this);
    await this.host.stop({ deleteQueue: true });
  }
}

/** What a client actor's result means to its caller. */
export function outcomeOf(
  result: Extract<ActorEvent, { type: "result" }>,
): Extract<OpOutcome, { kind: "ok" | "failed" | "expired" }> {
  if (result.error === undefined) return { kind: "ok", value: result.value };
  return result.error === "SessionExpired" ? { kind: "expired" } : { kind: "failed", error: result.error };
}

/**
 * Rejects with ClientTimeoutError after `timeoutMs`, or as soon as `stop` is
 * aborted. Runs once per operation: it names no function it makes (the tsx
 * loader's keepNames sets the name of each named one as it is made, a cost on
 * every call), except on the rare path with a `stop` signal.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  message: string,
  stop?: AbortSignal,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClientTimeoutError(message)), timeoutMs);
    if (stop !== undefined) onAbort = rejectOnAbort(stop, reject, message);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) stop?.removeEventListener("abort", onAbort);
  });
}

/** Rejects at once when `stop` is aborted already, else when it is; returns the listener to remove. */
function rejectOnAbort(stop: AbortSignal, reject: (error: Error) => void, message: string): () => void {
  const onAbort = (): void => reject(new ClientTimeoutError(`${message} (interrupted)`));
  if (stop.aborted) onAbort();
  else stop.addEventListener("abort", onAbort, { once: true });
  return onAbort;
}

/** Fails with ClusterNotRunningError unless `<c>.net` exists (a passive check, on a scratch channel). */
export async function assertClusterExists(connection: BrokerConnection, names: ClusterNames): Promise<void> {
  try {
    await connection.withScratchChannel((channel) => channel.checkExchange(names.net));
  } catch (error) {
    throw new ClusterNotRunningError(
      `cluster "${names.cluster}" is not running on this broker (no exchange ${names.net}); start it with: npm run cluster -- --cluster ${names.cluster}`,
      { cause: error },
    );
  }
}
