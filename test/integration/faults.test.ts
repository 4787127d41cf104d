// Network faults made by the broker (DESIGN §5 fault layer): loss through a
// TTL-0 queue into <c>.lost, delay through TTL bucket queues, partitions
// applied by the sending side. Proves at-most-once (DESIGN §1 clients and
// application) and that histories stay linearizable under these faults.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nanosecondClock, runWorkload, randomOps } from "../../src/broker/workload.js";
import { HistoryRecorder } from "../../src/check/index.js";
import { assertLinearizable, recordedOp, sleep, TestCluster } from "./harness.js";

describe("faults carried out by the broker", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Publishes a command and waits until every node of the cluster applied it. */
  async function applyEverywhere(command: Parameters<TestCluster["control"]>[0]): Promise<void> {
    const since = cluster.events.length;
    cluster.control(command);
    for (const node of cluster.supervisor.addresses) {
      await cluster.waitForEvent(
        (event) =>
          cluster.events.indexOf(event) >= since &&
          event.type === "fault" &&
          event.node === node &&
          JSON.stringify(event.command) === JSON.stringify(command),
        5_000,
        `fault applied by ${node}`,
      );
    }
  }

  it("at-most-once: 100 appends under 20% loss give exactly the sequence", async () => {
    await applyEverywhere({ type: "net", drop: 0.2, duplicate: 0, delayMs: [0, 0] });
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    let expected = "";
    for (let index = 0; index < 100; index++) {
      const value = `x 0 ${index} y`;
      expect(
        await recordedOp(recorder, session, 0, { f: "append", key: "amo", value }, 20_000),
      ).not.toBeNull();
      expected += value;
    }
    expect(await recordedOp(recorder, session, 0, { f: "get", key: "amo" }, 20_000)).toEqual({
      value: expected,
    });
    await session.stop();
    await applyEverywhere({ type: "reset" });
    assertLinearizable(recorder);
    // Drops were real: counted by the senders (counters go out every second, and only grow)
    // and dead-lettered into <c>.lost.
    await cluster.waitForEvent(
      (event) => event.type === "counters" && event.counters.dropped > 0,
      5_000,
      "counters of a node that dropped messages",
    );
    const lost = await cluster.connection.withScratchChannel((channel) =>
      channel.checkQueue(cluster.names.lost),
    );
    expect(lost.messageCount).toBeGreaterThan(0);
  });

  it("4 concurrent clients under loss, delay and a partition of the primary from the view server", async () => {
    await applyEverywhere({ type: "net", drop: 0.1, duplicate: 0.05, delayMs: [0, 20] });
    const before = await cluster.waitForView((view) => view.backup !== null, 10_000);
    const primary = before.primary ?? "";
    const recorder = new HistoryRecorder(nanosecondClock());
    const workload = runWorkload({
      clients: cluster.clients,
      workers: 4,
      durationMs: 7_000,
      opTimeoutMs: 3_000,
      recorder,
      nextOp: randomOps(["p0", "p1", "p2"]),
    });
    await sleep(2_000);
    await applyEverywhere({ type: "partition", groups: [[primary], ["viewserver"]] });
    const during = await cluster.waitForView((view) => view.primary !== primary, 10_000);
    expect(during.viewNum).toBeGreaterThan(before.viewNum);
    await sleep(1_500);
    await applyEverywhere({ type: "heal" });
    const stats = await workload;
    await applyEverywhere({ type: "reset" });
    console.log(
      `[faults] partition run: ${stats.ok} ok, ${stats.unknown} timed out, max wait ${stats.maxWaitMs.toFixed(0)} ms`,
    );
    expect(stats.ok).toBeGreaterThan(20);
    assertLinearizable(recorder);
  });
});
