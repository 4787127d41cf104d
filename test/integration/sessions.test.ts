// The bounded at-most-once table on the broker (issue 14, point 4; DESIGN
// §4.1 sessions): a `load --client-per-op` run opens a session per
// operation, and once they have been idle past the expiry the servers have
// forgotten them: `kv status` shows at most 100 sessions (here, none).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { sleep, TestCluster } from "./harness.js";

/** Short, so the test waits seconds, not the default minute; long enough that `kv status` right after the load (slow on a busy 2-core machine) still sees the sessions. */
const sessionExpiryMs = 4_000;

describe("client sessions on a broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start({ sessionExpiryMs });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function sessionsByNode(): Promise<Map<string, number>> {
    const result = await runCli("kv", ["--cluster", cluster.names.cluster, "--url", cluster.url, "status"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { node: string; role: string; sessions: number });
    return new Map(lines.filter((line) => line.role !== "idle").map((line) => [line.node, line.sessions]));
  }

  it("forgets the sessions of a --client-per-op load once they are idle past the expiry", async () => {
    const options = ["--cluster", cluster.names.cluster, "--url", cluster.url];
    const load = await runCli("load", [
      ...options,
      "--client-per-op",
      "--clients",
      "8",
      "--duration",
      "3",
      "--json",
    ]);
    expect(load.code, load.stderr).toBe(0);
    const figures = JSON.parse(load.stdout) as { ok: number };
    // Many more sessions than the load's 8 workers: each operation opened one (at least 40 even on a
    // busy 2-core machine, where each fresh client actor costs a queue, a binding and a consumer).
    expect(figures.ok).toBeGreaterThan(40);
    // Right after the load, primary and backup hold (the same) sessions of its recent clients.
    const during = await sessionsByNode();
    expect(during.size).toBe(2);
    expect(Math.max(...during.values())).toBeGreaterThan(0);
    await sleep(sessionExpiryMs + 1_500);
    const after = await sessionsByNode();
    expect(after.size).toBe(2);
    expect([...after.values()]).toEqual([0, 0]);
  });
});
