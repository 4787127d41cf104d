// The private broker (issue 13): on a machine where rabbitmq-server is
// installed but no broker runs, `npm run cluster` starts one of its own (own
// node, ports, data directory), the cluster's other commands find it without
// --url, and it is stopped and deleted with the cluster; one left by a killed
// owner is removed by the next start. PBKV_LOCAL_BROKER points discovery at a
// closed port so that the machine's own broker is out of the picture.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import amqp from "amqplib";
import { nanoid } from "nanoid";
import { describe, expect, it } from "vitest";
import {
  findRabbitmqServer,
  isAlive,
  livePrivateBroker,
  startPrivateBroker,
} from "../../src/broker/privateBroker.js";
import { rabbitmqctl } from "../../src/chaos/brokerControl.js";
import { repoRoot, runCli } from "../support/cli.js";

const serverScript = findRabbitmqServer();
const noLocalBroker = { PBKV_LOCAL_BROKER: "amqp://guest:guest@127.0.0.1:1" };
if (serverScript === null) {
  console.warn(
    "private broker tests not run: no rabbitmq-server installed; to enable: apt-get install rabbitmq-server",
  );
}
const recordFile = (cluster: string): string => path.join(os.tmpdir(), "pbkv-brokers", `${cluster}.json`);

describe.runIf(serverScript !== null)("a private broker from the installed rabbitmq-server", () => {
  it("serves AMQP and rabbitmqctl on its own node, and leaves nothing when stopped", async () => {
    const cluster = `pbt-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`;
    const broker = await startPrivateBroker(cluster, serverScript ?? "");
    const { record } = broker;
    try {
      expect(record.url).not.toContain(":5672");
      expect(await livePrivateBroker(cluster)).toEqual(record);
      const connection = await amqp.connect(record.url, { clientProperties: { connection_name: cluster } });
      const target = {
        kind: "private",
        nodeName: record.nodeName,
        ctlScript: record.ctlScript,
        home: record.dataDirectory,
      } as const;
      expect(await rabbitmqctl(target, ["-q", "list_connections", "client_properties"])).toContain(cluster);
      await connection.close();
    } finally {
      await broker.stop();
    }
    expect(isAlive(record.brokerPid)).toBe(false);
    expect(existsSync(record.dataDirectory)).toBe(false);
    expect(existsSync(recordFile(cluster))).toBe(false);
  }, 120_000);

  it("is removed by the next start when its owner was killed", async () => {
    const cluster = `pbt-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`;
    const broker = await startPrivateBroker(cluster, serverScript ?? "");
    const deadOwner = spawnSync(process.execPath, ["-e", "0"]).pid;
    writeFileSync(recordFile(cluster), JSON.stringify({ ...broker.record, ownerPid: deadOwner }));
    try {
      expect(await livePrivateBroker(cluster)).toBeNull();
      expect(isAlive(broker.record.brokerPid)).toBe(false);
      expect(existsSync(broker.record.dataDirectory)).toBe(false);
    } finally {
      await broker.stop();
    }
  }, 120_000);

  it.each([
    ["cluster", ["--node-logs", "/dev/null/nope"]],
    ["chaos", ["--out", "/dev/null/nope"]],
  ])(
    "%s refuses an unwritable output directory before it starts a broker",
    async (command, args) => {
      const cluster = `pbt-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`;
      const run = await runCli(command, ["--cluster", cluster, ...args], "", {
        ...noLocalBroker,
        RABBITMQ_URL: "",
      });
      expect(run.code).toBe(2);
      expect(run.stdout).not.toMatch(/private RabbitMQ broker/);
      expect(existsSync(recordFile(command === "chaos" ? "chaos" : cluster))).toBe(false);
    },
    60_000,
  );

  it("is told to stop when its owner process exits without stopping it", async () => {
    const cluster = `pbt-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`;
    const script = `import { startPrivateBroker } from "./src/broker/privateBroker.ts";
      const broker = await startPrivateBroker(${JSON.stringify(cluster)}, ${JSON.stringify(serverScript)});
      console.log(broker.record.brokerPid); process.exit(1);`;
    const owner = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 90_000,
    });
    const brokerPid = Number(owner.stdout.trim());
    expect(brokerPid).toBeGreaterThan(0);
    const deadline = performance.now() + 15_000;
    while (isAlive(brokerPid) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(brokerPid)).toBe(false);
    expect(await livePrivateBroker(cluster)).toBeNull(); // and the record and data are cleaned up
    expect(existsSync(recordFile(cluster))).toBe(false);
  }, 120_000);

  it("npm run cluster starts one, kv finds it without --url, Ctrl-C stops and deletes it", async () => {
    const cluster = `pbt-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`;
    const output: string[] = [];
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/cluster.ts", "--cluster", cluster], {
      cwd: repoRoot,
      env: { ...process.env, ...noLocalBroker, RABBITMQ_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    try {
      await waitForLine(child, output, /is backup in view/, 90_000);
      expect(output.join("")).toMatch(/private RabbitMQ broker ready/);
      const record = JSON.parse(readFileSync(recordFile(cluster), "utf8")) as {
        brokerPid: number;
        dataDirectory: string;
      };
      const kv = (args: string[]): ReturnType<typeof runCli> =>
        runCli("kv", ["--cluster", cluster, ...args], "", { ...noLocalBroker, RABBITMQ_URL: "" });
      expect((await kv(["put", "a", "1"])).stdout.trim()).toBe("ok");
      expect((await kv(["get", "a"])).stdout.trim()).toBe("1");
      child.kill("SIGINT");
      await waitForLine(child, output, /and the private broker \(its data deleted\)/, 60_000);
      expect(isAlive(record.brokerPid)).toBe(false);
      expect(existsSync(record.dataDirectory)).toBe(false);
    } finally {
      child.kill("SIGKILL");
      await livePrivateBroker(cluster); // owner gone: removes a broker a failed test left
    }
  }, 180_000);
});

function waitForLine(
  child: ChildProcess,
  output: string[],
  pattern: RegExp,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (pattern.test(output.join(""))) done(null);
    }, 100);
    const deadline = setTimeout(
      () => done(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output.join("")}`)),
      timeoutMs,
    );
    const onExit = (): void => {
      if (!pattern.test(output.join(""))) done(new Error(`exited before ${pattern}:\n${output.join("")}`));
    };
    child.once("exit", onExit);
    function done(error: Error | null): void {
      clearInterval(timer);
      clearTimeout(deadline);
      child.off("exit", onExit);
      if (error === null) resolve();
      else reject(error);
    }
  });
}
