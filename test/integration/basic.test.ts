// The application over the broker runtime (DESIGN §1 "The application", §6
// commands): put, get and append through client actors on their own queues,
// and the kv / fault commands as a user runs them. Histories are checked.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot } from "../../src/broker/supervisor.js";
import { nanosecondClock } from "../../src/broker/workload.js";
import { HistoryRecorder } from "../../src/check/index.js";
import { assertLinearizable, recordedOp, TestCluster } from "./harness.js";

const run = promisify(execFile);

describe("basic operations on a broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("serves get, put and append in order; the history is linearizable", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    const op = (f: "get" | "put" | "append", key: string, value = "") =>
      recordedOp(recorder, session, 0, f === "get" ? { f, key } : { f, key, value }, 5_000);
    expect(await op("get", "a")).toEqual({ value: "" });
    await op("put", "a", "1");
    expect(await op("get", "a")).toEqual({ value: "1" });
    await op("append", "a", "2");
    await op("append", "a", "3");
    expect(await op("get", "a")).toEqual({ value: "123" });
    await op("put", "b", "x");
    expect(await op("get", "b")).toEqual({ value: "x" });
    await session.stop();
    assertLinearizable(recorder);
    expect(cluster.exits).toEqual([]);
  });

  it("answers the kv and fault commands as a user runs them", async () => {
    const common = ["--cluster", cluster.names.cluster, "--url", cluster.url];
    const command = async (script: string, args: string[]): Promise<string> => {
      const { stdout } = await run(
        process.execPath,
        ["--import", "tsx", path.join("src/cli", script), ...args, ...common],
        {
          cwd: repositoryRoot,
          timeout: 30_000,
        },
      );
      return stdout.trim();
    };
    expect(await command("kv.ts", ["put", "cli", "v1"])).toBe("ok");
    // Independent commands in parallel: each one is a Node process start.
    const absent = run(
      process.execPath,
      ["--import", "tsx", "src/cli/kv.ts", "get", "x", "--cluster", "itest-absent", "--url", cluster.url],
      { cwd: repositoryRoot, timeout: 30_000 },
    ).then(
      () => null,
      (error: unknown) => error,
    );
    const [got, viewText, faultText, primaryText] = await Promise.all([
      command("kv.ts", ["get", "cli"]),
      command("kv.ts", ["view"]),
      command("fault.ts", ["--json", "net", "--drop", "0", "--delay", "0-0"]),
      command("kv.ts", ["view", "primary"]), // the tutorial's PRIMARY=$(npm run -s kv -- view primary)
    ]);
    expect(got).toBe("v1");
    const view = JSON.parse(viewText) as Record<string, unknown>;
    expect(Object.keys(view)).toEqual(["viewNum", "primary", "backup"]);
    expect(view["primary"]).toMatch(/^server-\d$/);
    expect(primaryText).toBe(view["primary"]);
    const applied = JSON.parse(faultText) as { appliedBy: { node: string }[] };
    expect(applied.appliedBy.map((row) => row.node)).toEqual(
      expect.arrayContaining(["viewserver", "server-1"]),
    );
    expect(await absent).toMatchObject({
      stderr: expect.stringContaining('cluster "itest-absent" is not running'),
    });
  });
});
