// The package's public API (issue 20): `const kv = await connect({ cluster })`
// then `kv.get/put/append/view/close`. Operations run through a pool of the
// protocol's client actors, so many may be in flight; calls that are not
// awaited are concurrent (await one before starting the next to order them).
import { pino, type Logger } from "pino";
import { z } from "zod";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed, protocolNames } from "../protocols/registry.js";
import { discoverBroker } from "../broker/discovery.js";
import { clusterNames } from "../broker/topology.js";
import { MemoryCluster } from "../memory/cluster.js";
import { describeRefusal, Key, type Op, type OpName, Value } from "../schemas/op.js";
import type { View } from "../schemas/view.js";
import {
  ClientClosedError,
  ClientFailedError,
  InvalidOperationError,
  OperationTimeoutError,
  PbkvError,
  RefusedOperationError,
  SessionExpiredError,
} from "./errors.js";
import { ActorPool } from "./pool.js";
import { brokerTransport, memoryTransport, type Transport } from "./transports.js";

export type { View };

/** Most client actors one client may run (each is a queue and a consumer on the broker). */
export const poolSizeMax = 1024;

const positiveInt = z.number().int().positive();

export const ConnectOptions = z.object({
  /** The cluster's name (`npm run cluster -- --cluster NAME`); default `pbkv`. */
  cluster: z.string().default("pbkv"),
  /** AMQP URL; default RABBITMQ_URL, then the cluster's private broker, then amqp://127.0.0.1:5672. */
  url: z.string().optional(),
  /** `broker` (default), or `memory`: a cluster of its own in this process, stopped by close(). */
  transport: z.enum(["broker", "memory"]).default("broker"),
  /** The replication protocol, by its `--protocol` name; `pb` (primary/backup) by default. */
  protocol: z
    .string()
    .refine((name) => protocolNames().includes(name), { error: `one of: ${protocolNames().join(", ")}` })
    .default(defaultProtocolName),
  /** Each operation's limit; past it the operation fails with OperationTimeoutError (outcome unknown). */
  timeoutMs: positiveInt.default(5_000),
  /** Most client actors, hence operations in flight at once. */
  poolSize: positiveInt.max(poolSizeMax).default(16),
  /** A client actor resends after this long without an answer; the protocol's default when not given. */
  clientRetryMs: positiveInt.optional(),
  /**
   * The cluster's values of the protocol settings its clients must share
   * (pb: `{ sessionExpiryMs }`, the servers' `--session-expiry-ms`); the
   * protocol's defaults for the rest. A name the protocol does not know is refused;
   * bounds are the protocol's (VR's `spares` may be 0).
   */
  settings: z.record(z.string(), z.int().min(0)).default({}),
  /** Servers of the in-process cluster (transport `memory` only): 3 unless the protocol's configuration fixes the count (VR's replicas); one that contradicts it is refused. */
  servers: positiveInt.max(9).optional(),
  /** Names the broker connection `pbkv <cluster> <label>`. */
  label: z.string().min(1).max(64).default("library"),
  /** A pino logger for the client's warnings; silent by default. */
  logger: z.custom<Logger>((value) => typeof value === "object" && value !== null).optional(),
});
export type ConnectOptions = z.input<typeof ConnectOptions>;

/** Connects to a running cluster (or starts one in this process for `transport: "memory"`). */
export async function connect(options: ConnectOptions = {}): Promise<KvClient> {
  const parsed = ConnectOptions.safeParse(options);
  if (!parsed.success) throw new InvalidOperationError(`connect: ${z.prettifyError(parsed.error)}`);
  const settings = parsed.data;
  const protocol = protocolNamed(settings.protocol);
  const config = clientConfig(protocol, settings.settings, settings.clientRetryMs);
  const log = settings.logger ?? pino({ level: "silent" });
  if (settings.transport === "memory") {
    const cluster = new MemoryCluster({ protocol, servers: settings.servers, config, checkInvariants: true });
    cluster.start();
    return new KvClient(memoryTransport(cluster, protocol, config, true), settings, cluster);
  }
  let names: ReturnType<typeof clusterNames>;
  try {
    names = clusterNames(settings.cluster);
  } catch (error) {
    throw new InvalidOperationError(`connect: ${(error as Error).message}`, { cause: error });
  }
  const broker = await discoverBroker({ url: settings.url, cluster: settings.cluster, mayStart: false });
  const transport = await brokerTransport({
    url: broker.url,
    names,
    protocol,
    config,
    log,
    label: settings.label,
  });
  return new KvClient(transport, settings, null);
}

type Settings = z.output<typeof ConnectOptions>;

export interface ClientStats {
  inFlight: number;
  ok: number;
  timedOut: number;
  /** Operations that ended with SessionExpiredError (outcome unknown). */
  expired: number;
}

export class KvClient {
  private readonly pool: ActorPool;
  private closing: Promise<void> | null = null;
  private readonly counts = { ok: 0, timedOut: 0, expired: 0 };

  /** @internal use connect() */
  constructor(
    private readonly transport: Transport,
    private readonly settings: Settings,
    /** The in-process cluster of transport `memory` (for its fault commands); null on the broker. */
    readonly memoryCluster: MemoryCluster | null,
  ) {
    this.pool = new ActorPool(transport.newSlot, settings.poolSize);
  }

  /** The key's value; a missing key reads as the empty string. */
  async get(key: string): Promise<string> {
    return this.run({ f: "get", key: checked(Key, key, "key") });
  }

  async put(key: string, value: string): Promise<void> {
    await this.run({ f: "put", key: checked(Key, key, "key"), value: checked(Value, value, "value") });
  }

  /** Appends `value` to the key's value; resolves with the new value's length in UTF-8 bytes (as Redis's APPEND). */
  async append(key: string, value: string): Promise<number> {
    const length = await this.run({
      f: "append",
      key: checked(Key, key, "key"),
      value: checked(Value, value, "value"),
    });
    return Number(length);
  }

  /** The cluster's current view (`{ viewNum, primary, backup }`, and `replicas`, `status` where the protocol has them), as its configuration query answers. */
  async view(): Promise<View> {
    if (this.closing !== null) throw new ClientClosedError("view");
    const view = await this.transport.getView(this.settings.timeoutMs);
    if (view === null) throw new OperationTimeoutError("view", this.settings.timeoutMs);
    return view;
  }

  get cluster(): string {
    return this.settings.cluster;
  }

  get protocol(): string {
    return this.settings.protocol;
  }

  get transportName(): "broker" | "memory" {
    return this.settings.transport;
  }

  /** The addresses of the client actors the pool holds now (`client-…`), for logs: `kv --json` prints the one that ran its operation. */
  get clientAddresses(): string[] {
    return this.pool.addresses;
  }

  get stats(): ClientStats {
    return { inFlight: this.pool.inFlight, ...this.counts };
  }

  /** Waits for the operations in flight, refuses the rest (ClientClosedError), stops every client actor. */
  close(): Promise<void> {
    this.closing ??= this.pool.close().then(() => this.transport.close());
    return this.closing;
  }

  private async run(op: Op): Promise<string> {
    if (this.closing !== null) throw new ClientClosedError(op.f);
    const outcome = await this.pool.run(op, this.settings.timeoutMs);
    const fatal = this.transport.fatal;
    if (fatal !== null)
      throw new ClientFailedError(`a client actor failed: ${fatal.message}`, { cause: fatal });
    switch (outcome.kind) {
      case "ok":
        this.counts.ok += 1;
        return outcome.value;
      case "timeout":
      case "not run": // tried until the deadline: every actor given the op was crashed first
        this.counts.timedOut += 1;
        throw new OperationTimeoutError(op.f, this.settings.timeoutMs);
      case "expired":
        this.counts.expired += 1;
        throw new SessionExpiredError(op.f);
      case "failed":
        throw new RefusedOperationError(`${op.f}: ${describeRefusal(outcome.error)}`);
      case "closed":
        throw new ClientClosedError(op.f);
    }
  }
}

function checked(schema: z.ZodString, input: unknown, what: "key" | "value"): string {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidOperationError(
    `invalid ${what}: ${z.prettifyError(result.error)}; the operation was not sent`,
    { cause: result.error },
  );
}

export { PbkvError, type OpName };

/** The protocol's configuration with the settings a client was given; an unknown or bad one is refused. */
function clientConfig(
  protocol: AnyProtocol,
  given: Record<string, number>,
  clientRetryMs: number | undefined,
): ProtocolConfigBase {
  const shared = protocol.config.options.filter((option) => option.clients === true).map((o) => o.field);
  const unknown = Object.keys(given).filter((field) => !shared.includes(field));
  if (unknown.length > 0)
    throw new InvalidOperationError(
      `connect: ${unknown.join(", ")}: not a setting ${protocol.name} clients take (${shared.join(", ") || "none"})`,
    );
  try {
    return protocol.config.make({ ...given, ...(clientRetryMs === undefined ? {} : { clientRetryMs }) });
  } catch (error) {
    throw new InvalidOperationError(`connect: ${(error as Error).message}`);
  }
}
