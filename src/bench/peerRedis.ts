// The bench's redis row: a Redis primary and one replica on free local ports
// (no persistence), a connection per worker (ioredis, a dev dependency loaded
// only here). get is GET on the primary; put and append are SET and APPEND
// followed by WAIT 1, so a write is answered once the replica has it: the
// nearest Redis comes to pbkv's promise. Its failover can still lose
// acknowledged writes (WAIT does not make Redis strongly consistent).
import type { OpOutcome } from "../broker/clients.js";
import { freePort } from "../broker/ports.js";
import type { Op } from "../schemas/op.js";
import type { BenchSession } from "./closedLoop.js";
import { PeerPool, PeerTarget, peerDataDirectory, spawnPeer, untilListening } from "./peers.js";

type RedisClient = import("ioredis").Redis;

export async function startRedis(cluster: string, readyTimeoutMs: number): Promise<PeerTarget> {
  const { Redis } = await import("ioredis");
  const dataDirectory = peerDataDirectory("redis");
  const [primaryPort = 0, replicaPort = 0] = [await freePort(), await freePort()];
  const common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dataDirectory];
  const processes = [
    spawnPeer("redis-server", ["--port", String(primaryPort), ...common], dataDirectory),
    spawnPeer(
      "redis-server",
      ["--port", String(replicaPort), "--replicaof", "127.0.0.1", String(primaryPort), ...common],
      dataDirectory,
    ),
  ];
  await untilListening([primaryPort, replicaPort], processes, readyTimeoutMs);
  const connect = (): RedisClient => new Redis({ port: primaryPort, host: "127.0.0.1", lazyConnect: false });
  const target = new PeerTarget(
    { cluster },
    new PeerPool(async () => new RedisSession(connect())),
    processes,
    dataDirectory,
  );
  await untilReplicaSynced(connect(), readyTimeoutMs);
  return target;
}

/** Until WAIT 1 is answered by one replica: it has connected and synced. */
async function untilReplicaSynced(client: RedisClient, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  try {
    while ((await client.wait(1, 500)) < 1) {
      if (performance.now() > deadline)
        throw new Error(`the redis replica did not sync within ${timeoutMs} ms`);
    }
  } finally {
    client.disconnect();
  }
}

class RedisSession implements BenchSession {
  readonly isRetired = false;

  constructor(private readonly client: RedisClient) {}

  async invoke(op: Op, timeoutMs: number): Promise<OpOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<OpOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timeout" }), timeoutMs);
    });
    try {
      return await Promise.race([this.run(op), timeout]);
    } catch {
      return { kind: "timeout" }; // failed: its outcome is unknown
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private async run(op: Op): Promise<OpOutcome> {
    if (op.f === "get") return { kind: "ok", value: (await this.client.get(op.key)) ?? "" };
    if (op.f === "put") await this.client.set(op.key, op.value);
    else await this.client.append(op.key, op.value);
    await this.client.wait(1, 0);
    return { kind: "ok", value: "" };
  }
}
