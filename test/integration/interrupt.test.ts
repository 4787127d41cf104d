// Under a user's hands (issue 12): Ctrl-C from a terminal, a refused command
// and an interrupted run lose nothing. Ctrl-C is SIGINT to the whole process
// group, as a terminal sends it, through the wrappers users run (npm run,
// npm run -s, npx tsx), each of which relays its own copy.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import amqp from "amqplib";
import { nanoid } from "nanoid";
import { afterEach, describe, expect, inject, it } from "vitest";
import { type ClusterNames, clusterNames, topologyTable } from "../../src/broker/topology.js";
import { rabbitmqctl } from "../../src/chaos/brokerControl.js";
import { vhostOf } from "../../src/security/principal.js";
import { liveAccessRecord } from "../../src/security/record.js";
import { runCli } from "../support/cli.js";
import { GroupRun } from "../support/processGroup.js";

const url = inject("amqpUrl");
const started: GroupRun[] = [];

function freshName(): ClusterNames {
  return clusterNames(`itest-${nanoid(8).replace(/[^A-Za-z0-9]/g, "x")}`);
}

function group(command: string, args: readonly string[], stdin: "ignore" | "pipe" = "ignore"): GroupRun {
  const run = new GroupRun(command, args, { stdin });
  started.push(run);
  return run;
}

/** Queues of the cluster that still exist (a passive check each, on its own channel). */
/** A two-server cluster in its own process group, once its backup is installed. */
async function runningCluster(common: readonly string[]): Promise<GroupRun> {
  const cluster = group(process.execPath, [
    "--import",
    "tsx",
    "src/cli/cluster.ts",
    ...common,
    "--servers",
    "2",
  ]);
  await cluster.waitFor(/is backup in view/, 60_000);
  return cluster;
}

/** What a secure cluster of this name has on the broker and on this machine: its vhost, users, access record. */
async function secureLeftovers(names: ClusterNames): Promise<string[]> {
  const control = inject("brokerControl");
  const vhosts = await rabbitmqctl(control, ["-q", "list_vhosts"]);
  const users = await rabbitmqctl(control, ["-q", "list_users"]);
  const lines = `${vhosts}\n${users}`.split("\n").map((line) => line.split("\t")[0] ?? "");
  const left = lines.filter(
    (name) => name === vhostOf(names.cluster) || name.startsWith(`${names.cluster}.`),
  );
  return liveAccessRecord(names.cluster) === null ? left : [...left, "access record"];
}

async function queuesLeft(
  names: ClusterNames,
  actors: readonly string[],
  brokerUrl = url,
): Promise<string[]> {
  const queues = [
    ...actors.map((actor) => names.actorQueue(actor)),
    ...topologyTable(names).queues.map((q) => q.name),
  ];
  const connection = await amqp.connect(brokerUrl);
  const left: string[] = [];
  try {
    for (const queue of queues) {
      const channel = await connection.createChannel();
      channel.on("error", () => {});
      try {
        await channel.checkQueue(queue);
        left.push(queue);
        await channel.close();
      } catch {
        // 404: gone (the channel is closed by the broker)
      }
    }
  } finally {
    await connection.close();
  }
  return left;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  for (const run of started.splice(0)) run.killGroup();
});

describe("the first Ctrl-C from a terminal stops npm run cluster cleanly", () => {
  // The secure default through npm run (its vhost and users go); the open mode through the others.
  const wrappers: [string, string, string[], boolean][] = [
    ["npm run", "npm", ["run", "cluster", "--"], true],
    ["npm run -s", "npm", ["run", "-s", "cluster", "--", "--insecure"], false],
    ["npx tsx", "npx", ["tsx", "src/cli/cluster.ts", "--insecure"], false],
  ];
  for (const [how, command, prefix, secure] of wrappers) {
    it(`through ${how}: says what it cleaned up, no queue and no process left`, async () => {
      const names = freshName();
      const cluster = group(command, [...prefix, "--cluster", names.cluster, "--servers", "1", "--url", url]);
      await cluster.waitFor(/server-1 +is primary in view/, 60_000);
      const pids = [...cluster.output.matchAll(/process (\d+) started/g)].map((match) => Number(match[1]));
      expect(pids).toHaveLength(2);
      cluster.interruptGroup();
      const deleted = secure
        ? `deleted the vhost ${vhostOf(names.cluster)} with its queues and exchanges, and 3 broker users`
        : `deleted \\d+ queues and \\d+ exchanges of "${names.cluster}"`;
      await cluster.waitFor(new RegExp(`stopped 2 node processes; ${deleted}`), 30_000);
      if (secure) expect(await secureLeftovers(names)).toEqual([]);
      const exit = await cluster.exited;
      // npx runs tsx under `sh -c` without exec, and that shell dies of the Ctrl-C at
      // once (npx then re-raises it): the command itself still stops cleanly (above).
      expect(exit).toEqual(how === "npx tsx" ? { code: null, signal: "SIGINT" } : { code: 0, signal: null });
      expect(await queuesLeft(names, ["viewserver", "server-1"])).toEqual([]);
      expect(pids.filter(isAlive)).toEqual([]);
    });
  }
});

describe("the first Ctrl-C from a terminal stops the other long-running commands cleanly", () => {
  it("npm run dashboard: closes its server and says so, exit 0", async () => {
    const names = freshName();
    const dashboard = group("npm", [
      "run",
      "dashboard",
      "--",
      "--cluster",
      names.cluster,
      "--port",
      "0",
      "--url",
      url,
    ]);
    await dashboard.waitFor(/Ctrl-C stops/, 60_000);
    dashboard.interruptGroup();
    const exit = await dashboard.exited;
    expect(dashboard.output).toMatch(/SIGINT: stopping the dashboard\n.*stopped: web server closed/);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it("npm run gateway (on the memory transport): closes its connections and client actors, exit 0", async () => {
    const gateway = group("npm", ["run", "gateway", "--", "--transport", "memory", "--port", "0"]);
    await gateway.waitFor(/try: redis-cli -p \d+ ping/, 60_000);
    gateway.interruptGroup();
    const exit = await gateway.exited;
    expect(gateway.output).toMatch(
      /SIGINT: stopping: no new connections.*\n.*stopped: every connection closed/,
    );
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it("npm run cluster -- --transport memory: stops its console and cluster, exit 0", async () => {
    const memory = group("npm", ["run", "cluster", "--", "--transport", "memory"], "pipe");
    await memory.waitFor(/is backup in view/, 60_000);
    memory.interruptGroup();
    const exit = await memory.exited;
    expect(memory.output).toMatch(/interrupted: cluster stopped/);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});

describe("a refused command has no side effects", () => {
  it("a second cluster of the same name exits without touching the running one", async () => {
    const names = freshName();
    const common = ["--cluster", names.cluster, "--url", url];
    const first = await runningCluster(common);
    const second = await runCli("cluster", [...common, "--servers", "2"]);
    expect(second.stderr).toMatch(/already running/);
    expect(second.code).toBe(1);
    expect(second.stdout).not.toMatch(/deleted/);

    // Still there, in the running cluster's vhost.
    const operatorUrl = liveAccessRecord(names.cluster)?.operatorUrl ?? "";
    expect(await queuesLeft(names, ["viewserver", "server-1", "server-2"], operatorUrl)).toHaveLength(
      2 + 1 + topologyTable(names).queues.length,
    );
    expect((await runCli("kv", ["put", "k", "still serving", ...common])).stdout).toBe("ok\n");
    expect((await runCli("kv", ["get", "k", ...common])).stdout).toBe("still serving\n");
    const printedBefore = first.output.length;
    expect((await runCli("fault", ["net", "--drop", "0", ...common])).code).toBe(0);
    await first.waitFor(/fault \{"type":"net"/, 10_000);
    expect(first.output.length).toBeGreaterThan(printedBefore);
    expect(first.output).not.toMatch(/queue deleted\?|cannot start|exited with code/);
    first.interruptGroup();
    expect((await first.exited).code).toBe(0);
  });
});

describe("an interrupted run keeps what it has", () => {
  const loadWrappers: [string, string, string[]][] = [
    ["npm run", "npm", ["run", "load", "--"]],
    // tsx SIGKILLed a load busy writing its history when npm's relayed copy came (exit 130, nothing written).
    ["npx tsx", "npx", ["tsx", "src/cli/load.ts"]],
  ];
  for (const [how, command, prefix] of loadWrappers) {
    it(`load through ${how}: Ctrl-C writes the history so far, checks it and says where it is`, async () => {
      const names = freshName();
      const common = ["--cluster", names.cluster, "--url", url];
      const cluster = await runningCluster(common);
      const history = path.join(mkdtempSync(path.join(os.tmpdir(), "pbkv-load-")), "interrupted.jsonl");
      const load = group(command, [...prefix, ...common, "--duration", "120", "--history", history]);
      // The load announces its run on the cluster's events once its clients are open (its Ctrl-C
      // handler is listening by then; a fixed wait could end before the load even started on
      // a busy machine); a second of operations after that gives a history to write.
      await cluster.waitFor(/ load +run \S+ started: /, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      load.interruptGroup();
      await load.waitFor(/linearizable: \d+ ops|NOT linearizable/, 60_000);
      const exit = await load.exited;
      expect(load.output).toMatch(/interrupted after [\d.]+ s: writing and checking the history so far/);
      expect(load.output).toContain(`history: ${history} (`);
      expect(load.output).toMatch(/\nlinearizable: \d+ ops/);
      // npx's shell dies of the Ctrl-C at once (the command goes on and finishes, above).
      expect(exit).toEqual(how === "npx tsx" ? { code: null, signal: "SIGINT" } : { code: 3, signal: null });
      const events = readFileSync(history, "utf8").trim().split("\n");
      expect(events.length).toBeGreaterThan(10);
      // Every invoked op is completed: the ones in flight as info.
      const count = (type: string) => events.filter((line) => JSON.parse(line).type === type).length;
      expect(count("invoke")).toBe(events.length - count("invoke"));
      cluster.interruptGroup();
      expect((await cluster.exited).code).toBe(0);
    });
  }

  it("npm run chaos: Ctrl-C ends the run, stops its cluster, and checks the history so far", async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "pbkv-chaos-"));
    const chaos = group("npm", [
      "run",
      "chaos",
      "--",
      "--runs",
      "2",
      "--duration",
      "120",
      "--out",
      out,
      "--no-connection-kills",
      "--url",
      url,
    ]);
    await chaos.waitFor(/histories and reports/, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    chaos.interruptGroup();
    const exit = await chaos.exited;
    expect(chaos.output).toMatch(
      /run 1\/2 seed \d+: ok \(interrupted: the checks cover the history so far\)/,
    );
    expect(chaos.output).toMatch(/1 run\(s\) of 120 s \(interrupted\)/);
    expect(exit.code).toBe(3);
    const historyPath = /history (\S+\.jsonl)/.exec(chaos.output)?.[1] ?? "";
    expect(existsSync(historyPath)).toBe(true);
    const report = JSON.parse(readFileSync(historyPath.replace(/\.jsonl$/, ".json"), "utf8")) as {
      cluster: string;
      interrupted: boolean;
    };
    expect(report.interrupted).toBe(true);
    const names = clusterNames(report.cluster);
    expect(await queuesLeft(names, ["viewserver", "server-1", "server-2", "server-3"])).toEqual([]);
  });
});
