// Broker trouble (issue 4 §6): the broker closes a node's connection
// (`rabbitmqctl close_connection`, found by its client-provided name
// `pbkv <cluster> <address>`). The node keeps its actor state, reconnects,
// rebuilds its channel and consumers, and the cluster serves again without
// losing an acknowledged write.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nanosecondClock, randomOps, runWorkload } from "../../src/broker/workload.js";
import { HistoryRecorder } from "../../src/check/index.js";
import { assertLinearizable, recordedOp, sleep, TestCluster } from "./harness.js";

describe("connections closed by the broker", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("nodes reconnect with their state and no acknowledged write is lost", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const keys = ["r0", "r1", "r2"];
    const workload = runWorkload({
      clients: cluster.clients,
      workers: 3,
      durationMs: 6_000,
      opTimeoutMs: 3_000,
      recorder,
      nextOp: randomOps(keys),
    });
    await sleep(1_000);
    const view = await cluster.view();
    const primary = view.primary ?? "";
    const backup = view.backup ?? "";
    await cluster.closeConnectionByName(`pbkv ${cluster.names.cluster} ${backup}`);
    await cluster.waitForEvent(
      (e) => e.type === "lifecycle" && e.node === backup && e.state === "connected",
      10_000,
      `${backup} reconnected`,
    );
    await sleep(500);
    await Promise.all([
      cluster.closeConnectionByName(`pbkv ${cluster.names.cluster} ${primary}`),
      cluster.closeConnectionByName(`pbkv ${cluster.names.cluster} viewserver`),
    ]);
    for (const node of [primary, "viewserver"]) {
      await cluster.waitForEvent(
        (e) => e.type === "lifecycle" && e.node === node && e.state === "connected",
        10_000,
        `${node} reconnected`,
      );
    }
    const stats = await workload;
    console.log(
      `[connection] ${stats.ok} ok, ${stats.unknown} timed out, max wait ${stats.maxWaitMs.toFixed(0)} ms`,
    );
    // Every acknowledged write is still there: final reads join the checked history.
    const session = await cluster.clients.newClient();
    for (const key of keys)
      expect(await recordedOp(recorder, session, 99, { f: "get", key }, 10_000)).not.toBeNull();
    await session.stop();
    expect(cluster.exits).toEqual([]);
    // The actors kept their state: each started once (a reset would start it again,
    // and a server with a fresh incarnation would force a view change).
    for (const node of cluster.supervisor.addresses) {
      const starts = cluster.events.filter(
        (e) => e.type === "lifecycle" && e.node === node && e.state === "started",
      );
      expect(starts, node).toHaveLength(1);
    }
    expect((await cluster.view()).viewNum).toBeGreaterThanOrEqual(view.viewNum);
    assertLinearizable(recorder);
  });
});
