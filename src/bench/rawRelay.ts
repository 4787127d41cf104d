// The benchmark's raw relay (`raw` rows): the path of a replicated write,
// client → primary → backup → primary → client, over plain amqplib with JSON
// bodies, acks and a prefetch, and nothing of pbkv's runtime: the broker's
// own cost for the four hops. Its nodes are processes of their own
// (src/bench/rawRelayNode.ts); its clients share one connection in the bench
// process, each on its own exclusive reply queue, as pbkv's client actors do.
// Where the ceiling (relay actors through pbkv's runtime) shows what the
// protocol costs, the raw relay shows what the runtime costs.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import amqp from "amqplib";
import type { OpOutcome } from "../broker/clients.js";
import { repositoryRoot } from "../broker/supervisor.js";
import type { Op } from "../schemas/op.js";
import type { BenchSession, SessionPool } from "./closedLoop.js";

const nodeScript = path.join(repositoryRoot, "src", "bench", "rawRelayNode.ts");
const clientPrefetch = 16;

/** A raw relay's two node processes and its clients. */
export class RawRelay {
  readonly events: never[] = [];
  servedOps = 0;
  readonly pool: SessionPool;
  private readonly exited: string[] = [];

  private constructor(
    readonly names: { cluster: string },
    private readonly nodes: ChildProcess[],
    private readonly connection: amqp.ChannelModel,
    channel: amqp.Channel,
  ) {
    for (const node of nodes) {
      node.once("exit", (code, signal) => this.exited.push(`pid ${node.pid}: ${signal ?? `code ${code}`}`));
    }
    this.pool = new RawSessionPool(names.cluster, channel);
  }

  /** Starts the nodes and waits until both consume; the clients' connection opens meanwhile. */
  static async start(cluster: string, url: string, readyTimeoutMs: number): Promise<RawRelay> {
    const nodes = ["backup", "primary"].map((role) =>
      spawn(
        process.execPath,
        ["--import", "tsx", nodeScript, "--url", url, "--cluster", cluster, "--role", role],
        {
          cwd: repositoryRoot,
          stdio: ["ignore", "pipe", "inherit"],
        },
      ),
    );
    try {
      await Promise.all(nodes.map((node) => untilReady(node, readyTimeoutMs)));
      const connection = await amqp.connect(url, { noDelay: true });
      const channel = await connection.createChannel();
      await channel.prefetch(clientPrefetch); // for the reply consumers made after it
      return new RawRelay({ cluster }, nodes, connection, channel);
    } catch (error) {
      for (const node of nodes) node.kill("SIGKILL");
      throw error;
    }
  }

  async ready(): Promise<void> {}

  viewChangesSince(): number {
    return 0;
  }

  assertHealthy(): void {
    if (this.exited.length > 0)
      throw new Error(`${this.names.cluster}: a raw relay node exited (${this.exited.join("; ")})`);
  }

  /** Kills the processes at once (a second Ctrl-C); exclusive queues go with them. */
  killAll(): void {
    for (const child of this.nodes) child.kill("SIGKILL");
  }

  /** Closes the clients' connection (their queues go with it) and ends the nodes (theirs too). */
  async stop(): Promise<void> {
    await this.pool.close();
    await this.connection.close().catch(() => {});
    await Promise.all(
      this.nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.exitCode !== null || node.signalCode !== null) return resolve();
            node.once("exit", () => resolve());
            node.kill("SIGTERM");
          }),
      ),
    );
  }
}

function untilReady(node: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`raw relay node not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    node.stdout?.once("data", () => {
      clearTimeout(timer);
      resolve();
    });
    node.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`raw relay node exited with code ${code} before it was ready`));
    });
  });
}

/** One exclusive reply queue per worker, all on one channel; a reply finds its request by correlation id. */
class RawSessionPool implements SessionPool {
  private readonly sessions: RawSession[] = [];

  constructor(
    private readonly cluster: string,
    private readonly channel: amqp.Channel,
  ) {}

  async ensure(count: number): Promise<void> {
    while (this.sessions.length < count) {
      const queue = `${this.cluster}.raw.client-${this.sessions.length}`;
      await this.channel.assertQueue(queue, { exclusive: true, durable: false });
      const session = new RawSession(this.channel, `${this.cluster}.raw.primary`, queue);
      await this.channel.consume(queue, (message) => message !== null && session.onReply(message), {
        noAck: false,
      });
      this.sessions.push(session);
    }
  }

  session(index: number): Promise<BenchSession> {
    const session = this.sessions[index];
    return session === undefined
      ? Promise.reject(new Error(`no raw session ${index}`))
      : Promise.resolve(session);
  }

  async close(): Promise<void> {
    this.sessions.length = 0;
  }
}

class RawSession implements BenchSession {
  readonly isRetired = false;
  private nextId = 0;
  private waiting: { id: string; resolve: (outcome: OpOutcome) => void } | null = null;

  constructor(
    private readonly channel: amqp.Channel,
    private readonly primaryQueue: string,
    private readonly replyQueue: string,
  ) {}

  invoke(op: Op, timeoutMs: number): Promise<OpOutcome> {
    const id = String(this.nextId++);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve({ kind: "timeout" });
      }, timeoutMs);
      this.waiting = {
        id,
        resolve: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      this.channel.sendToQueue(this.primaryQueue, Buffer.from(JSON.stringify({ op })), {
        replyTo: this.replyQueue,
        correlationId: id,
      });
    });
  }

  onReply(message: amqp.ConsumeMessage): void {
    this.channel.ack(message);
    const reply = JSON.parse(message.content.toString()) as { value: string };
    const waiting = this.waiting;
    if (waiting === null || message.properties.correlationId !== waiting.id) return; // a late reply
    this.waiting = null;
    waiting.resolve({ kind: "ok", value: reply.value });
  }
}
