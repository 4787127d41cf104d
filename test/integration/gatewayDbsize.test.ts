// DBSIZE through the gateway on broker clusters (ioredis): the serving
// primary's key count, asked with the operator's status query, for every
// protocol and across a failover; `npm run gateway` with a client user's URL
// answers why the count is not known (a client user may not ask the servers'
// status) and serves the rest.
import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type KvClient } from "../../src/index.js";
import { StatusQuery } from "../../src/broker/statusQuery.js";
import type { Gateway } from "../../src/gateway/server.js";
import { protocolNames } from "../../src/protocols/registry.js";
import { repoRoot } from "../support/cli.js";
import { startGateway } from "../support/gateway.js";
import { TestCluster } from "./harness.js";

/** DBSIZE once the count is known again (a view change answers "not known" meanwhile). */
async function dbsizeWhenKnown(redis: Redis, limitMs: number): Promise<number> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    try {
      return await redis.dbsize();
    } catch (error) {
      if (!/DBSIZE is not known/.test(String(error)) || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe.each(protocolNames())("DBSIZE on a broker cluster (%s)", (protocol) => {
  let cluster: TestCluster;
  let kv: KvClient;
  let status: StatusQuery;
  let gateway: Gateway;
  let redis: Redis;
  beforeAll(async () => {
    cluster = await TestCluster.start({ protocol });
    kv = await connect({
      cluster: cluster.names.cluster,
      url: cluster.url,
      protocol,
      clientRetryMs: cluster.config.clientRetryMs,
      timeoutMs: 10_000,
    });
    const log = pino({ level: "silent" });
    status = await StatusQuery.open({ url: cluster.url, names: cluster.names, label: "dbsize-test", log });
    gateway = await startGateway(kv, { keyCount: status });
    redis = new Redis({ port: gateway.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await gateway?.stop();
    await status?.close();
    await kv?.close();
    await cluster?.stop();
  });

  it("counts the primary's keys, and the same after its primary is crashed", async () => {
    // A chain may still be linking its last server in when the harness sees it serve: the count is
    // "not known" while the view changes.
    expect(await dbsizeWhenKnown(redis, 20_000)).toBe(0);
    await redis.mset("a", "1", "b", "2", "c", "3");
    await redis.append("a", "+");
    expect(await dbsizeWhenKnown(redis, 20_000)).toBe(3);
    const before = await cluster.view();
    cluster.control({ type: "crash", node: before.primary ?? "" });
    await cluster.waitForView(
      (view) => view.viewNum > before.viewNum && view.primary !== before.primary,
      30_000,
    );
    expect(await dbsizeWhenKnown(redis, 20_000)).toBe(3);
    expect(await redis.get("a")).toBe("1+");
  });
});

describe("npm run gateway on a secure cluster (pb)", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start({ secure: true });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("answers DBSIZE to the operator's gateway; a client user's says why it is not known", async () => {
    const operator = await gatewayProcess(cluster, cluster.url);
    const alice = await gatewayProcess(cluster, await cluster.addClientUser("alice"));
    try {
      expect(await alice.redis.set("k", "v")).toBe("OK");
      await expect(alice.redis.dbsize()).rejects.toThrow(
        /^ERR pbkv: DBSIZE is not known: the key count comes from the servers' status, which only the operator of "itest-\w+" may ask; itest-\w+\.client\.alice is a client user/,
      );
      expect(await alice.redis.get("k")).toBe("v");
      expect(await operator.redis.dbsize()).toBe(1);
    } finally {
      await operator.stop();
      await alice.stop();
    }
  });
});

/** `npm run gateway` on a free port with `url`; `stop()` sends SIGINT and expects exit 0. */
async function gatewayProcess(
  cluster: TestCluster,
  url: string,
): Promise<{ redis: Redis; stop: () => Promise<void> }> {
  const args = ["--import", "tsx", "src/cli/gateway.ts", "--cluster", cluster.names.cluster];
  const child = spawn(process.execPath, [...args, "--url", url, "--port", "0"], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = performance.now() + 30_000;
  while (!/ on 127\.0\.0\.1:(\d+)/.test(stdout) && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const port = Number(/ on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
  const redis = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  return {
    redis,
    stop: async () => {
      redis.disconnect();
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    },
  };
}
