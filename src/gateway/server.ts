// The Redis-protocol gateway: a TCP server in front of one pbkv client
// (a pool of client actors). Each connection is a GatewayConnection; this
// file owns the listening socket, the connection limit and INFO.
import net from "node:net";
import type { Logger } from "pino";
import type { KvClient } from "../client/connect.js";
import { redisCompatibleVersion } from "./commands.js";
import { GatewayConnection } from "./connection.js";
import { countKeys, defaultKeyCountSource, type KeyCountSource, statusTimeoutMs } from "./keyCount.js";
import { defaultRequestLimits, encodeReply, reply, type RequestLimits } from "./resp.js";

export interface GatewayOptions {
  kv: KvClient;
  port: number;
  host?: string;
  log: Logger;
  /** Most client connections at once (Redis's maxclients). */
  clientsMax?: number;
  /** Most commands of one connection in flight. */
  pipelineMax?: number;
  /** A command must arrive whole within this long of its first byte. */
  partialRequestMs?: number;
  limits?: RequestLimits;
  /** Where DBSIZE's count comes from (the memory cluster's statuses by default; none on the broker). */
  keyCount?: KeyCountSource;
  /** How long DBSIZE waits for the primary's status. */
  statusTimeoutMs?: number;
}

export const gatewayDefaults = { clientsMax: 1024, pipelineMax: 1024, partialRequestMs: 10_000 };

export class Gateway {
  private readonly connections = new Set<GatewayConnection>();
  private nextId = 1;
  private readonly startedMs = performance.now();
  private connectionsTotal = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly options: GatewayOptions,
  ) {}

  /** Listens; resolves once the port is bound. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const server = net.createServer();
    const gateway = new Gateway(server, options);
    server.on("connection", (socket) => gateway.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error) => options.log.error({ err: error }, "gateway server error"));
    return gateway;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address !== null ? address.port : this.options.port;
  }

  get clientCount(): number {
    return this.connections.size;
  }

  /** Stops listening and ends every connection; the caller closes the pbkv client afterwards. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of [...this.connections]) connection.end("gateway stopping");
    await closed;
  }

  private onConnection(socket: net.Socket): void {
    const clientsMax = this.options.clientsMax ?? gatewayDefaults.clientsMax;
    if (this.connections.size >= clientsMax) {
      socket.on("error", () => {});
      socket.end(encodeReply(reply.error("ERR max number of clients reached"), 2));
      this.options.log.warn({ clientsMax }, "gateway connection refused: too many clients");
      return;
    }
    this.connectionsTotal += 1;
    const connection = new GatewayConnection(
      socket,
      this.nextId++,
      {
        kv: this.options.kv,
        log: this.options.log,
        limits: this.options.limits ?? defaultRequestLimits,
        pipelineMax: this.options.pipelineMax ?? gatewayDefaults.pipelineMax,
        partialRequestMs: this.options.partialRequestMs ?? gatewayDefaults.partialRequestMs,
        info: (section) => this.info(section),
        keyCount: () => this.keyCount(),
      },
      (closed) => this.connections.delete(closed),
    );
    this.connections.add(connection);
  }

  /** DBSIZE: the serving node's key count, or KeyCountUnknownError saying why it is not known. */
  keyCount(): Promise<number> {
    const source = this.options.keyCount ?? defaultKeyCountSource(this.options.kv);
    return countKeys(this.options.kv, source, this.options.statusTimeoutMs ?? statusTimeoutMs);
  }

  /** INFO's text: Redis's section layout, with a `pbkv` section for the cluster. */
  async info(section: string | undefined): Promise<string> {
    const kv = this.options.kv;
    const sections: Record<string, () => Promise<string[]> | string[]> = {
      server: () => [
        `redis_version:${redisCompatibleVersion}`,
        "redis_mode:standalone",
        `tcp_port:${this.port}`,
        `uptime_in_seconds:${Math.floor((performance.now() - this.startedMs) / 1000)}`,
        `process_id:${process.pid}`,
      ],
      clients: () => [
        `connected_clients:${this.connections.size}`,
        `maxclients:${this.options.clientsMax ?? gatewayDefaults.clientsMax}`,
      ],
      stats: () => [
        `total_connections_received:${this.connectionsTotal}`,
        `pbkv_ops_ok:${kv.stats.ok}`,
        `pbkv_ops_timed_out:${kv.stats.timedOut}`,
        `pbkv_ops_in_flight:${kv.stats.inFlight}`,
      ],
      pbkv: () => this.pbkvSection(),
    };
    const wanted =
      section === undefined || section === "all" || section === "everything" || section === "default"
        ? Object.keys(sections)
        : [section];
    const parts: string[] = [];
    for (const name of wanted) {
      const lines = await sections[name]?.();
      if (lines !== undefined)
        parts.push([`# ${name[0]?.toUpperCase()}${name.slice(1)}`, ...lines].join("\r\n"));
    }
    return `${parts.join("\r\n\r\n")}\r\n`;
  }

  private async pbkvSection(): Promise<string[]> {
    const kv = this.options.kv;
    const lines = [`protocol:${kv.protocol}`, `cluster:${kv.cluster}`, `transport:${kv.transportName}`];
    try {
      const view = await kv.view();
      lines.push(`view_num:${view.viewNum}`, `primary:${view.primary ?? ""}`, `backup:${view.backup ?? ""}`);
      // As INFO writes lists (Redis's own: comma-separated), only where the protocol has them.
      if (view.replicas !== undefined) lines.push(`replicas:${view.replicas.join(",")}`);
      if (view.status !== undefined) lines.push(`status:${view.status}`);
    } catch (error) {
      lines.push(`view:unknown (${(error as Error).message})`);
    }
    return lines;
  }
}
