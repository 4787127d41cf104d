// Bad input (DESIGN §4 "invalid messages are dead-lettered, counted and
// logged, never crash the actor"): garbage on every actor queue and on the
// control exchange is rejected into <c>.rejected, counted in the events,
// changes no state, and the cluster keeps serving.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { netRoutingKey } from "../../src/broker/clientInbox.js";
import { nanosecondClock } from "../../src/broker/workload.js";
import { HistoryRecorder } from "../../src/check/index.js";
import { messageBytesMax } from "../../src/schemas/limits.js";
import { assertLinearizable, recordedOp, TestCluster } from "./harness.js";

describe("garbage on every queue", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("rejects, counts and survives non-JSON, invalid, oversized and misaddressed messages", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    await recordedOp(recorder, session, 0, { f: "put", key: "g", value: "before" }, 5_000);
    const viewBefore = await cluster.view();
    const envelopeTo = (to: string) =>
      JSON.stringify({
        v: 1,
        id: "garbage-1",
        from: "client-x",
        to,
        viewNum: 0,
        sentAt: 0,
        body: { type: "GetView" },
      });
    const actorGarbage = (address: string): Buffer[] => [
      Buffer.from("this is not JSON {"),
      Buffer.from(JSON.stringify({ v: 1, body: { type: "Nonsense" } })),
      Buffer.from(
        JSON.stringify({
          v: 1,
          id: "x",
          from: "client-x",
          to: address,
          viewNum: -1,
          sentAt: 0,
          body: { type: "Ping" },
        }),
      ),
      Buffer.alloc(messageBytesMax + 1, 0x7b),
      Buffer.from(envelopeTo("server-99")),
    ];
    const targets = [...cluster.supervisor.addresses, session.address];
    // A client is reached through its group's inbox (src/broker/clientInbox.ts), which refuses what it
    // cannot hand to a member (not JSON, oversized, misaddressed) under the group's name.
    for (const address of targets) {
      for (const content of actorGarbage(address))
        cluster.publishRaw(cluster.names.net, netRoutingKey(address), content);
    }
    const refusers = (address: string): string[] => [address, netRoutingKey(address)];
    const controlGarbage = [
      Buffer.from("\u0000\u0001binary"),
      Buffer.from(JSON.stringify({ type: "crash" })),
      Buffer.from(JSON.stringify({ type: "net", drop: 7, duplicate: 0, delayMs: [0, 0] })),
      Buffer.alloc(messageBytesMax + 1, 0x20),
    ];
    for (const content of controlGarbage) cluster.publishRaw(cluster.names.control, "", content);

    const perActor = actorGarbage("x").length;
    const perNode = perActor + controlGarbage.length;
    for (const address of targets) {
      await cluster.waitForEvent(
        () =>
          cluster.events.filter((e) => e.type === "rejected" && refusers(address).includes(e.node)).length >=
          perNode,
        10_000,
        `${perNode} rejections by ${address}`,
      );
    }
    const reasons = cluster.events
      .filter((e) => e.type === "rejected" && e.node === "viewserver")
      .map((e) => (e.type === "rejected" ? e.reason : ""));
    expect(reasons.some((reason) => reason.startsWith("not JSON"))).toBe(true);
    expect(reasons.some((reason) => reason.startsWith("oversized"))).toBe(true);
    expect(reasons.some((reason) => reason.includes("addressed to server-99"))).toBe(true);
    // Counted too: counters go out every second, and only grow.
    for (const address of cluster.supervisor.addresses) {
      await cluster.waitForEvent(
        (event) => event.type === "counters" && event.node === address && event.counters.rejected >= perNode,
        5_000,
        `counters of ${address} with ${perNode} rejections`,
      );
    }
    const rejected = await cluster.connection.withScratchChannel((channel) =>
      channel.checkQueue(cluster.names.rejected),
    );
    expect(rejected.messageCount).toBeGreaterThanOrEqual(targets.length * perNode);

    // Nothing crashed, nothing changed, the cluster still serves.
    expect(cluster.exits).toEqual([]);
    expect(cluster.events.some((e) => e.type === "lifecycle" && e.state === "crashed")).toBe(false);
    expect(cluster.events.some((e) => e.type === "fault")).toBe(false);
    expect(await recordedOp(recorder, session, 0, { f: "get", key: "g" }, 5_000)).toEqual({
      value: "before",
    });
    await recordedOp(recorder, session, 0, { f: "append", key: "g", value: " after" }, 5_000);
    expect(await recordedOp(recorder, session, 0, { f: "get", key: "g" }, 5_000)).toEqual({
      value: "before after",
    });
    expect((await cluster.view()).viewNum).toBeGreaterThanOrEqual(viewBefore.viewNum);
    await session.stop();
    assertLinearizable(recorder);
  });
});
