// Viewstamped Replication on the broker (docs/VR.md; issue 16's "done when"):
// a 3-replica cluster keeps every acknowledged write after losing its
// primary, and after that replica recovers (it lost everything: no disk) and
// another one is lost; a primary SIGKILLed outright likewise. Histories are
// checked, and the replicas' --debug agreement (two replicas that executed
// the same number of entries hold the same state) compared states.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nanosecondClock } from "../../src/broker/workload.js";
import { HistoryRecorder } from "../../src/check/index.js";
import { assertLinearizable, recordedOp, TestCluster } from "./harness.js";

describe("viewstamped replication on a broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    // Looser than the defaults (100 ms): the suite shares 2 cores, and a needless view change only slows a test.
    cluster = await TestCluster.start({ protocol: "vr", settings: { viewChangeTimeoutMs: 300, tickMs: 25 } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function waitForRole(node: string, role: "primary" | "backup", afterIndex: number): Promise<void> {
    await cluster.waitForEvent(
      (event) =>
        cluster.events.indexOf(event) >= afterIndex &&
        event.type === "role" &&
        event.node === node &&
        event.role === role,
      15_000,
      `${node} ${role}`,
    );
  }

  it("keeps every acknowledged write after losing the primary, and after it recovers and another replica is lost", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    for (let index = 0; index < 10; index++)
      await recordedOp(recorder, session, 0, { f: "put", key: `c${index}`, value: `v${index}` }, 5_000);
    const before = await cluster.view();
    expect(before.replicas).toEqual(["server-1", "server-2", "server-3"]);
    expect(before.status).toBe("normal");
    const first = before.primary!;
    const crashedAt = performance.now();
    cluster.control({ type: "crash", node: first });
    expect(await recordedOp(recorder, session, 0, { f: "get", key: "c0" }, 10_000)).toEqual({ value: "v0" });
    console.log(
      `[vr] crash of primary ${first} to the first successful op: ${(performance.now() - crashedAt).toFixed(0)} ms`,
    );
    await recordedOp(recorder, session, 0, { f: "put", key: "after-first", value: "1" }, 5_000);
    const middle = await cluster.view();
    expect(middle.primary).not.toBe(first);
    expect(middle.viewNum).toBeGreaterThan(before.viewNum);

    const mark = cluster.events.length;
    cluster.control({ type: "restart", node: first });
    await waitForRole(first, "backup", mark); // recovered: fetched the state from the new primary
    cluster.control({ type: "crash", node: middle.primary! });
    for (let index = 0; index < 10; index++)
      expect(await recordedOp(recorder, session, 0, { f: "get", key: `c${index}` }, 10_000)).toEqual({
        value: `v${index}`,
      });
    expect(await recordedOp(recorder, session, 0, { f: "get", key: "after-first" }, 5_000)).toEqual({
      value: "1",
    });
    cluster.control({ type: "restart", node: middle.primary! });
    await session.stop();
    assertLinearizable(recorder);
    const agreement = cluster.agreement();
    expect(agreement.compared).toBeGreaterThan(0);
    expect(agreement.disagreements).toEqual([]);
  });

  it("a primary SIGKILLed outright: the other two serve every acknowledged write", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    const view = await cluster.waitForView((v) => v.status === "normal", 10_000);
    for (let index = 0; index < 5; index++)
      await recordedOp(recorder, session, 1, { f: "append", key: "k", value: `x 1 ${index} y` }, 5_000);
    const victim = view.primary!;
    expect(cluster.supervisor.kill(victim, "SIGKILL")).toBe(true);
    const read = await recordedOp(recorder, session, 1, { f: "get", key: "k" }, 10_000);
    expect(read).toEqual({ value: "x 1 0 yx 1 1 yx 1 2 yx 1 3 yx 1 4 y" });
    expect(cluster.exits).toContainEqual(expect.objectContaining({ address: victim, signal: "SIGKILL" }));
    await recordedOp(recorder, session, 1, { f: "append", key: "k", value: "x 1 5 y" }, 5_000);
    await session.stop();
    assertLinearizable(recorder);
  });
});
