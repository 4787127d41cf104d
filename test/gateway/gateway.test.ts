// The Redis-protocol gateway in front of an in-memory cluster, driven by a
// real Redis client library (ioredis), by redis-cli when installed, and by
// raw sockets for what no well-behaved client sends.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type KvClient } from "../../src/index.js";
import type { Gateway } from "../../src/gateway/server.js";
import {
  capturingLogger,
  rawClient,
  redisCli,
  redisCliInstalled,
  startGateway,
  until,
} from "../support/gateway.js";

let kv: KvClient;
let gateway: Gateway;
let redis: Redis;
const logged = capturingLogger();
/** Most operations the gateway had in flight at once (counted around the client's get). */
let concurrentGetsMax = 0;

beforeAll(async () => {
  kv = await connect({ transport: "memory", poolSize: 16 });
  let concurrentGets = 0;
  const counted = Object.create(kv) as KvClient;
  counted.get = async (key: string) => {
    concurrentGets += 1;
    concurrentGetsMax = Math.max(concurrentGetsMax, concurrentGets);
    try {
      return await kv.get(key);
    } finally {
      concurrentGets -= 1;
    }
  };
  gateway = await startGateway(counted, { log: logged.log, partialRequestMs: 300 });
  redis = new Redis({ port: gateway.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
});

afterAll(async () => {
  redis?.disconnect();
  await gateway?.stop();
  await kv?.close();
});

describe("the gateway with ioredis", () => {
  it("serves the string commands", async () => {
    expect(await redis.ping()).toBe("PONG");
    expect(await redis.echo("hi")).toBe("hi");
    expect(await redis.set("greeting", "hello")).toBe("OK");
    expect(await redis.append("greeting", " wörld")).toBe(12);
    expect(await redis.get("greeting")).toBe("hello wörld");
    expect(await redis.strlen("greeting")).toBe(12);
    expect(await redis.get("missing")).toBeNull();
    expect(await redis.exists("greeting", "missing", "greeting")).toBe(2);
    expect(await redis.mset("m1", "a", "m2", "b")).toBe("OK");
    expect(await redis.mget("m1", "missing", "m2")).toEqual(["a", null, "b"]);
    expect(await redis.select(0)).toBe("OK");
    expect(await redis.client("SETNAME", "tester")).toBe("OK");
    expect(await redis.client("GETNAME")).toBe("tester");
  });

  it("answers what it cannot do with errors, as Redis words them", async () => {
    await expect(redis.call("flushall")).rejects.toThrow(
      "ERR unknown command 'flushall', with args beginning with: ",
    );
    await expect(redis.call("lpush", "l", "x")).rejects.toThrow(
      "ERR unknown command 'lpush', with args beginning with: 'l' 'x' ",
    );
    await expect(redis.set("k", "v", "EX", 10)).rejects.toThrow(/SET options are not supported.*'EX'/);
    await expect(redis.call("get")).rejects.toThrow("ERR wrong number of arguments for 'get' command");
    await expect(redis.select(1)).rejects.toThrow("ERR DB index is out of range");
    // 600,000 newlines: under the gateway's 1 MiB bulk limit, but 1.2 MB as JSON, over the value limit.
    await expect(redis.set("k", "\n".repeat(600_000))).rejects.toThrow(/invalid value.*not sent/);
    await expect(redis.set(Buffer.from([0xff, 0xfe]), "v")).rejects.toThrow(/not valid UTF-8; not executed/);
  });

  it("describes itself: INFO with a pbkv section, COMMAND", async () => {
    const info = await redis.info();
    expect(info).toMatch(
      /# Pbkv\r\nprotocol:pb\r\ncluster:pbkv\r\ntransport:memory\r\nview_num:\d+\r\nprimary:server-\d/,
    );
    expect(info).toMatch(/connected_clients:\d+/);
    expect(await redis.command("COUNT")).toBeGreaterThanOrEqual(16);
    const [getInfo] = (await redis.command("INFO", "get")) as unknown[][];
    expect(getInfo?.slice(0, 2)).toEqual(["get", 2]);
  });

  it("serves a pipeline with many operations in flight, replies in order, each key's ops in order", async () => {
    const pipeline = redis.pipeline();
    for (let index = 0; index < 200; index++) {
      pipeline.set(`p${index % 7}`, `v${index}`);
      pipeline.get(`p${index % 7}`);
    }
    concurrentGetsMax = 0;
    // Messages held back 0-10 ms at random: ops of different client actors overtake each other.
    kv.memoryCluster?.control({ type: "net", drop: 0, duplicate: 0, delayMs: [0, 10] });
    const results = await pipeline.exec().finally(() => kv.memoryCluster?.control({ type: "reset" }));
    expect(results).toHaveLength(400);
    if (results === null) throw new Error("no results");
    for (let index = 0; index < 200; index++) {
      expect(results[2 * index]).toEqual([null, "OK"]);
      expect(results[2 * index + 1]).toEqual([null, `v${index}`]); // reads its own write
    }
    expect(concurrentGetsMax).toBeGreaterThan(1);
  });

  it("answers TIMEOUT, outcome unknown, when the cluster does not answer in time", async () => {
    const slow = await connect({ transport: "memory", timeoutMs: 300 });
    const slowGateway = await startGateway(slow);
    const client = new Redis({ port: slowGateway.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      expect(await client.set("k", "v")).toBe("OK");
      for (const node of ["server-1", "server-2", "server-3"])
        slow.memoryCluster?.control({ type: "crash", node });
      await expect(client.set("k", "w")).rejects.toThrow(/^TIMEOUT .*the outcome is unknown/);
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
      await slowGateway.stop();
      await slow.close();
    }
  });
});

describe("the gateway with raw sockets", () => {
  it("speaks RESP3 after HELLO 3", async () => {
    const client = await rawClient(gateway.port);
    client.socket.write("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n");
    await until(() => client.received().endsWith("_\r\n"), "RESP3 null");
    expect(client.received()).toMatch(/^%7\r\n\$6\r\nserver\r\n\$4\r\npbkv\r\n/);
    expect(client.received()).toContain("$5\r\nproto\r\n:3\r\n");
    client.socket.end("QUIT\r\n");
    await client.closed;
  });

  it("serves inline commands and closes after QUIT", async () => {
    const client = await rawClient(gateway.port);
    client.socket.write("PING\r\nQUIT\r\nPING\r\n");
    await client.closed;
    expect(client.received()).toBe("+PONG\r\n+OK\r\n");
  });

  it.each([
    ["malformed RESP", "*1\r\n$x\r\n", /Protocol error: invalid bulk length 'x'/],
    [
      "a huge bulk length",
      "*2\r\n$3\r\nSET\r\n$999999999\r\n",
      /Protocol error: invalid bulk length 999999999/,
    ],
    ["a slowloris request", "*2\r\n$3\r\nGET\r\n$5\r\nab", /request incomplete after 300 ms/],
  ])(
    "closes the connection on %s, says why in the log, and others carry on",
    async (_what, input, reason) => {
      const client = await rawClient(gateway.port);
      client.socket.write(input);
      expect(await redis.set("others", "fine")).toBe("OK");
      await client.closed;
      expect(client.received()).toMatch(/^-ERR /);
      expect(logged.lines.some((line) => reason.test(String(line["reason"])) && line["level"] === 40)).toBe(
        true,
      );
      expect(await redis.get("others")).toBe("fine");
    },
  );
});

describe.runIf(redisCliInstalled)("the gateway with redis-cli", () => {
  it("set, append, get, ping; an unknown command gets ERR", async () => {
    const port = gateway.port;
    expect(await redisCli(port, ["set", "cli", "a"])).toBe("OK");
    expect(await redisCli(port, ["append", "cli", "bc"])).toBe("3");
    expect(await redisCli(port, ["get", "cli"])).toBe("abc");
    expect(await redisCli(port, ["ping"])).toBe("PONG");
    expect(await redisCli(port, ["hset", "h", "f", "v"])).toMatch(/^ERR unknown command 'hset'/);
  });
});

describe("the gateway's limits", () => {
  it("refuses connections over clientsMax, pauses a connection at pipelineMax, ends connections on stop", async () => {
    const small = await startGateway(kv, { clientsMax: 1, pipelineMax: 2 });
    try {
      const first = await rawClient(small.port);
      const second = await rawClient(small.port);
      await second.closed;
      expect(second.received()).toBe("-ERR max number of clients reached\r\n");
      // 50 commands with room for 2 at a time: all answered, in order.
      first.socket.write(Array.from({ length: 50 }, (_, index) => `ECHO m${index}\r\n`).join(""));
      const expected = Array.from(
        { length: 50 },
        (_, index) => `$${`m${index}`.length}\r\nm${index}\r\n`,
      ).join("");
      await until(() => first.received() === expected, "50 echoes in order");
      await small.stop();
      await first.closed;
    } finally {
      await small.stop();
    }
  });
});
