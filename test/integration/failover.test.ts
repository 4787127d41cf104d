// Failover on the broker (DESIGN §1 view server rules, §5 crash): the primary
// crashed by a control command, and a server process killed outright; in both
// cases the view server promotes the backup, which serves every acknowledged
// write. Histories are checked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nanosecondClock } from "../../src/broker/workload.js";
import { HistoryRecorder } from "../../src/check/index.js";
import { assertLinearizable, recordedOp, TestCluster } from "./harness.js";

describe("failover on a broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("crash of the primary through the control queue: the backup serves all data", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    for (let index = 0; index < 10; index++) {
      await recordedOp(recorder, session, 0, { f: "put", key: `c${index}`, value: `v${index}` }, 5_000);
    }
    const before = await cluster.waitForView((view) => view.backup !== null, 5_000);
    const primary = before.primary ?? "";
    const crashedAt = performance.now();
    cluster.control({ type: "crash", node: primary });
    const first = await recordedOp(recorder, session, 0, { f: "get", key: "c0" }, 10_000);
    const failoverMs = performance.now() - crashedAt;
    console.log(`[failover] crash of ${primary} to the first successful op: ${failoverMs.toFixed(0)} ms`);
    expect(first).toEqual({ value: "v0" });
    for (let index = 1; index < 10; index++) {
      expect(await recordedOp(recorder, session, 0, { f: "get", key: `c${index}` }, 5_000)).toEqual({
        value: `v${index}`,
      });
    }
    // The backup was promoted (unless a busy machine made the view server change views meanwhile).
    const after = await cluster.view();
    expect(after.primary).not.toBe(primary);
    expect(after.viewNum).toBeGreaterThan(before.viewNum);
    // The crashed node refuses its traffic into <c>.lost and says so in its events.
    await cluster.waitForEvent(
      (e) => e.type === "lifecycle" && e.node === primary && e.state === "crashed",
      5_000,
      "crashed",
    );
    cluster.control({ type: "restart", node: primary });
    await cluster.waitForEvent(
      (e) => e.type === "lifecycle" && e.node === primary && e.state === "restarted",
      5_000,
      "restarted",
    );
    await session.stop();
    assertLinearizable(recorder);
    // The nodes (--debug) published where their state was: primary and backup met at log
    // positions and held the same store there (stop() fails on any disagreement).
    const agreement = cluster.agreement();
    expect(agreement.compared).toBeGreaterThan(0);
    expect(agreement.disagreements).toEqual([]);
  });

  it("a server process SIGKILLed: the supervisor notices and the view server fails over", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    const before = await cluster.waitForView((view) => view.backup !== null, 10_000);
    for (let index = 0; index < 5; index++) {
      await recordedOp(recorder, session, 1, { f: "append", key: "k", value: `x 1 ${index} y` }, 5_000);
    }
    const primary = before.primary ?? "";
    const pid = cluster.supervisor.pidOf(primary);
    expect(cluster.supervisor.kill(primary, "SIGKILL")).toBe(true);
    const killedAt = performance.now();
    const read = await recordedOp(recorder, session, 1, { f: "get", key: "k" }, 10_000);
    console.log(
      `[failover] SIGKILL of ${primary} to the first successful op: ${(performance.now() - killedAt).toFixed(0)} ms`,
    );
    expect(read).toEqual({ value: "x 1 0 yx 1 1 yx 1 2 yx 1 3 yx 1 4 y" });
    expect(cluster.exits).toContainEqual(
      expect.objectContaining({ address: primary, pid, signal: "SIGKILL" }),
    );
    const after = await cluster.view();
    expect(after.primary).not.toBe(primary);
    await recordedOp(recorder, session, 1, { f: "append", key: "k", value: "x 1 5 y" }, 5_000);
    await session.stop();
    assertLinearizable(recorder);
  });
});
