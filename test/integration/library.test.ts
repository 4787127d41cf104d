// The library and the gateway against a broker cluster (issue 20): the
// package's `connect` serves many operations at once through client actors on
// the broker, reconnects when the broker closes its connection, and names
// each failure; the gateway serves ioredis and redis-cli in front of it, and
// the `npm run gateway` process stops cleanly with the documented exit codes.
import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerConnectionError, ClusterNotRunningError, connect, type KvClient } from "../../src/index.js";
import type { Gateway } from "../../src/gateway/server.js";
import { repoRoot, runCli } from "../support/cli.js";
import { redisCli, redisCliInstalled, startGateway } from "../support/gateway.js";
import { TestCluster } from "./harness.js";

describe("the library and the gateway on a broker cluster", () => {
  let cluster: TestCluster;
  let kv: KvClient;
  beforeAll(async () => {
    cluster = await TestCluster.start();
    kv = await connect({
      cluster: cluster.names.cluster,
      url: cluster.url,
      label: "library-test",
      clientRetryMs: cluster.config.clientRetryMs,
      timeoutMs: 10_000,
    });
  });
  afterAll(async () => {
    await kv?.close();
    await cluster?.stop();
  });

  it("puts, appends and gets, many at once, and reads the cluster's view", async () => {
    await kv.put("lib", "start");
    const parts = Array.from({ length: 32 }, (_, index) => `(${index})`);
    await Promise.all(parts.map((part) => kv.append("lib", part)));
    const value = await kv.get("lib");
    expect(value.startsWith("start")).toBe(true);
    for (const part of parts) expect(value.split(part)).toHaveLength(2);
    expect(await kv.view()).toEqual(await cluster.view());
  });

  it("carries on after the broker closes its connection", async () => {
    const name = `pbkv ${cluster.names.cluster} library-test`;
    await kv.put("re", "before");
    await cluster.closeConnectionByName(name);
    await kv.append("re", "+after");
    expect(await kv.get("re")).toBe("before+after");
    // The connection of that name is a new one: it can be found (and closed) again.
    await cluster.closeConnectionByName(name);
    expect(await kv.get("re")).toBe("before+after");
  });

  it("names what went wrong when connecting", async () => {
    await expect(connect({ cluster: "h20-no-such-cluster", url: cluster.url })).rejects.toBeInstanceOf(
      ClusterNotRunningError,
    );
    await expect(
      connect({ cluster: cluster.names.cluster, url: "amqp://guest:guest@127.0.0.1:1" }),
    ).rejects.toBeInstanceOf(BrokerConnectionError);
  });

  describe("the gateway", () => {
    let gateway: Gateway;
    let redis: Redis;
    beforeAll(async () => {
      gateway = await startGateway(kv);
      redis = new Redis({ port: gateway.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      await redis.connect();
    });
    afterAll(async () => {
      redis?.disconnect();
      await gateway?.stop();
    });

    it("serves ioredis, a pipeline included", async () => {
      expect(await redis.set("g", "x")).toBe("OK");
      expect(await redis.append("g", "yz")).toBe(3);
      expect(await redis.get("g")).toBe("xyz");
      const pipeline = redis.pipeline();
      for (let index = 0; index < 50; index++) pipeline.append("gp", `${index},`).get("gp");
      const results = (await pipeline.exec()) ?? [];
      const last = results.at(-1)?.[1];
      expect(last).toBe(Array.from({ length: 50 }, (_, index) => `${index},`).join(""));
      expect(await redis.info("pbkv")).toContain(`cluster:${cluster.names.cluster}\r\ntransport:broker`);
    });

    it.runIf(redisCliInstalled)(
      "serves redis-cli: set, append, get, ping; ERR for an unknown command",
      async () => {
        expect(await redisCli(gateway.port, ["set", "cli", "a"])).toBe("OK");
        expect(await redisCli(gateway.port, ["append", "cli", "b"])).toBe("2");
        expect(await redisCli(gateway.port, ["get", "cli"])).toBe("ab");
        expect(await redisCli(gateway.port, ["ping"])).toBe("PONG");
        expect(await redisCli(gateway.port, ["sadd", "s", "m"])).toMatch(/^ERR unknown command 'sadd'/);
      },
    );
  });

  it("npm run gateway: serves, stops on SIGINT with exit 0; exit 69 without the cluster", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/gateway.ts",
        "--cluster",
        cluster.names.cluster,
        "--url",
        cluster.url,
        "--port",
        "0",
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = performance.now() + 30_000;
    while (!/ on 127\.0\.0\.1:(\d+)/.test(stdout) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const port = Number(/ on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
    const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    expect(await client.set("cli-process", "v")).toBe("OK");
    expect(await client.get("cli-process")).toBe("v");
    client.disconnect();
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const missing = await runCli("gateway", ["--cluster", "h20-absent", "--url", cluster.url, "--port", "0"]);
    expect(missing.code).toBe(69);
    expect(missing.stderr).toMatch(/cluster "h20-absent" is not running/);
    const usage = await runCli("gateway", ["--port", "http"]);
    expect(usage.code).toBe(2);
  });
});
