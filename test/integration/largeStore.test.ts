// Real data sizes on the broker (issue 14; DESIGN §1 state transfer, §4.1
// chunks and the value limit): a store larger than any message survives
// losing the backup and then the primary, a 1 MiB value round-trips, a larger
// one is refused by the client (kv exits 2) while the cluster keeps serving,
// and `kv status` reports every server's figures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fillEntry, fillKeys } from "../../src/broker/fill.js";
import { messageBytesMax, valueBytesMax } from "../../src/schemas/limits.js";
import { runCli } from "../support/cli.js";
import { TestCluster } from "./harness.js";

const keys = 2_500;
const valueBytes = 1_000; // 2.5 MB: more than twice messageBytesMax
/** Clients that fill the store, and then read it back. */
const workers = 8;

describe("a large store on a broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("fills 2.5 MB, loses the backup, then the primary, and reads every key back", async () => {
    const fill = await fillKeys({
      clients: cluster.clients,
      workers,
      keys,
      valueBytes,
      opTimeoutMs: 5_000,
    });
    expect(fill.bytes).toBeGreaterThan(2 * messageBytesMax);
    const first = await cluster.waitForView((view) => view.backup !== null, 10_000);
    cluster.control({ type: "crash", node: first.backup! });
    const second = await cluster.waitForView(
      (view) => view.primary === first.primary && view.backup !== null && view.backup !== first.backup,
      30_000,
    );
    // The new backup installed the whole state: the primary acknowledged the view.
    await cluster.waitForEvent(
      (event) =>
        event.type === "transfer" && event.node === second.primary && event.viewNum === second.viewNum,
      30_000,
      "the new backup installed the state",
    );
    cluster.control({ type: "crash", node: second.primary! });
    await cluster.waitForView((view) => view.primary === second.backup, 30_000);
    // Every key read back, by as many sessions as filled the store (one at a time took
    // thousands of sequential round trips): session w reads the keys w, w + 8, w + 16, …
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        const session = await cluster.clients.newClient();
        try {
          for (let index = worker; index < keys; index += workers) {
            const { key, value } = fillEntry(index, valueBytes);
            const outcome = await session.invoke({ f: "get", key }, 10_000);
            expect(outcome, key).toEqual({ kind: "ok", value });
          }
        } finally {
          await session.stop();
        }
      }),
    );
  });

  it("round-trips a 1 MiB value; a larger one exits 2 before anything is sent and the cluster keeps serving", async () => {
    const options = ["--cluster", cluster.names.cluster, "--url", cluster.url];
    const big = "b".repeat(valueBytesMax);
    const put = await runCli("kv", [...options, "put", "big", "-"], big);
    expect(put.code, put.stderr).toBe(0);
    const get = await runCli("kv", [...options, "get", "big"]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(`${big}\n`);
    const tooBig = await runCli("kv", [...options, "put", "huge", "-"], `${big}b`);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/1048577 bytes; the limit is 1048576/);
    const after = await runCli("kv", [...options, "put", "small", "ok"]);
    expect(after.code, after.stderr).toBe(0);
  });

  it("kv status prints one JSON line per live server with its figures", async () => {
    const result = await runCli("kv", ["--cluster", cluster.names.cluster, "--url", cluster.url, "status"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const view = await cluster.view();
    const primary = lines.find((line) => line["node"] === view.primary);
    expect(primary).toMatchObject({ role: "primary", viewNum: view.viewNum });
    expect(primary!["keys"]).toBeGreaterThanOrEqual(keys);
    expect(primary!["storeBytes"]).toBeGreaterThan(keys * valueBytes);
    for (const field of ["applied", "sessions"]) expect(typeof primary![field]).toBe("number");
  });
});
