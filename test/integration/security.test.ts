// Issue 17 on the real broker: the attacks that worked against an open
// cluster, tried by a client user made with `npm run user -- add`'s code and
// by guest (an administrator of `/`) against a secure cluster, have no
// effect: the view, the data and the nodes stay as they were, and every
// forged message the broker let through is refused by its receiver and
// counted. The same forged ping against an `--insecure` cluster does change
// the view, so these tests keep testing something.
import amqp, { type ChannelModel } from "amqplib";
import { nanoid } from "nanoid";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ClusterNames } from "../../src/broker/topology.js";
import { brokerUserOf } from "../../src/security/principal.js";
import type { View } from "../../src/schemas/view.js";
import { sleep, TestCluster } from "./harness.js";

/** A well-formed envelope with a `from` the sender has no right to. */
function forged(from: string, to: string, viewNum: number, body: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, id: nanoid(), from, to, viewNum, sentAt: Date.now(), body }));
}

/** What the broker said to one attempt: done, or the reason it closed the channel. */
async function attempt(
  connection: ChannelModel,
  action: (channel: amqp.ConfirmChannel) => Promise<unknown>,
): Promise<string> {
  const channel = await connection.createConfirmChannel();
  let closedWith = "";
  channel.on("error", (error: Error) => (closedWith = error.message));
  try {
    await action(channel);
    await channel.waitForConfirms();
    await channel.close();
    return "done";
  } catch (error) {
    return closedWith === "" ? (error as Error).message : closedWith;
  }
}

function publish(exchange: string, key: string, content: Buffer, userId?: string) {
  return (channel: amqp.ConfirmChannel): Promise<void> =>
    new Promise((resolve, reject) =>
      channel.publish(exchange, key, content, userId === undefined ? {} : { userId }, (error) =>
        error === null || error === undefined ? resolve() : reject(error as Error),
      ),
    );
}

/** Waits for `count` refusals after the first `since` and checks each was for a forged sender. */
async function expectForgedRefusals(cluster: TestCluster, since: number, count: number): Promise<void> {
  await cluster.waitForEvent(
    () => cluster.rejectedEvents().length >= since + count,
    10_000,
    `${count} refusals`,
  );
  const reasons = cluster
    .rejectedEvents()
    .slice(since)
    .map((event) => event.reason);
  expect(reasons.length).toBeGreaterThanOrEqual(count);
  for (const reason of reasons) expect(reason).toMatch(/^forged sender: /);
}

function samePrimaryAndView(before: View, after: View): void {
  expect(after.viewNum).toBe(before.viewNum);
  expect(after.primary).toBe(before.primary);
  expect(after.backup).toBe(before.backup);
}

describe("a secure cluster (pb)", () => {
  let cluster: TestCluster;
  let names: ClusterNames;
  let alice: ChannelModel;
  let aliceUser: string;
  beforeAll(async () => {
    // Failure detection looser than the tests' usual (a silent primary is replaced after 0.5-1 s, not 0.2-0.4 s):
    // the flood below loads this 2-core machine, and a stall of the whole machine is not what it tests.
    cluster = await TestCluster.start({ secure: true, pingMs: 50, pingCheckMs: 500 });
    names = cluster.names;
    const aliceUrl = await cluster.addClientUser("alice");
    aliceUser = brokerUserOf(names.cluster, { kind: "client", name: "alice" });
    alice = await amqp.connect(aliceUrl);
    alice.on("error", () => {});
  }, 90_000);
  afterAll(async () => {
    await alice?.close().catch(() => {});
    await cluster?.stop();
  });

  it("serves a client user's ordinary operations", async () => {
    const session = await cluster.clientsOf("alice").then((clients) => clients.newClient());
    expect(await session.invoke({ f: "put", key: "k", value: "before" }, 5_000)).toEqual({
      kind: "ok",
      value: "",
    });
    expect(await session.invoke({ f: "get", key: "k" }, 5_000)).toEqual({ kind: "ok", value: "before" });
    await session.stop();
  });

  it("refuses a client user's forged pings and views, and its attempts at the nodes' network and control", async () => {
    const writer = await cluster.clients.newClient();
    expect((await writer.invoke({ f: "put", key: "k", value: "before" }, 5_000)).kind).toBe("ok");
    await writer.stop();
    const before = await cluster.view();
    const primary = before.primary ?? "";
    const backup = before.backup ?? "";
    const rejectedBefore = cluster.rejectedEvents().length;
    // Through the only exchange it may write: the nodes refuse the forged sender.
    const ping = forged(primary, "viewserver", before.viewNum, { type: "Ping", viewNum: 0, incarnation: 7 });
    const viewReply = forged("viewserver", backup, before.viewNum + 1000, {
      type: "ViewReply",
      view: { viewNum: before.viewNum + 1000, primary: backup, backup: null },
      primaryIncarnation: 1,
    });
    // The primary's forward of an "EVIL" value at the backup's next index, a rogue server-0's
    // ping, and a request in the name of the operator's client (to run before the client's own).
    const evil = forged(primary, backup, before.viewNum, {
      type: "Forward",
      firstIndex: 1,
      entries: [
        {
          type: "op",
          client: "client-operator-x",
          session: 1,
          seq: 1,
          op: { f: "put", key: "k", value: "EVIL" },
          atMs: Date.now(),
        },
      ],
    });
    const rogue = forged("server-0", "viewserver", 0, { type: "Ping", viewNum: 0, incarnation: 9 });
    const request = forged("client-operator-x", primary, before.viewNum, {
      type: "Request",
      session: 1,
      seq: 1,
      op: { f: "put", key: "k", value: "EVIL" },
    });
    const reply = forged(primary, "client-operator-x", before.viewNum, {
      type: "Reply",
      seq: 1,
      result: { ok: true, value: "EVIL" },
    });
    for (let i = 0; i < 5; i++)
      expect(await attempt(alice, publish(names.requests, "viewserver", ping, aliceUser))).toBe("done");
    expect(await attempt(alice, publish(names.requests, backup, viewReply, aliceUser))).toBe("done");
    expect(await attempt(alice, publish(names.requests, backup, evil, aliceUser))).toBe("done");
    expect(await attempt(alice, publish(names.requests, "viewserver", rogue, aliceUser))).toBe("done");
    expect(await attempt(alice, publish(names.requests, primary, request, aliceUser))).toBe("done");
    // No client's queue is bound to `<c>.requests`: a forged reply reaches no client (only `<c>.lost`).
    expect(await attempt(alice, publish(names.requests, "client-operator-x", reply, aliceUser))).toBe("done");
    // Refused by the broker: another user's id, the nodes' network, control, other queues.
    expect(
      await attempt(
        alice,
        publish(
          names.requests,
          "viewserver",
          ping,
          brokerUserOf(names.cluster, { kind: "node", address: primary }),
        ),
      ),
    ).toMatch(/PRECONDITION|user_id/i);
    expect(await attempt(alice, publish(names.net, "viewserver", ping))).toMatch(/ACCESS.REFUSED/);
    expect(await attempt(alice, publish(names.peer, backup, evil))).toMatch(/ACCESS.REFUSED/);
    // Straight into a node's own queue, past `<c>.requests` (nodes send that way while untapped).
    expect(await attempt(alice, publish("", names.actorQueue(backup), evil))).toMatch(/ACCESS.REFUSED/);
    expect(await attempt(alice, publish(names.delay, "viewserver", ping))).toMatch(/ACCESS.REFUSED/);
    const crash = Buffer.from(JSON.stringify({ type: "crash", node: primary }));
    expect(await attempt(alice, publish(names.control, "", crash))).toMatch(/ACCESS.REFUSED/);
    expect(await attempt(alice, publish(names.lost, "", Buffer.alloc(1024)))).toMatch(/ACCESS.REFUSED/);
    expect(await attempt(alice, publish(names.events, "view.viewserver", Buffer.from("{}")))).toMatch(
      /ACCESS.REFUSED/,
    );
    expect(
      await attempt(alice, (ch) =>
        ch
          .assertQueue(`${names.cluster}.actor.client-alice-x`, { exclusive: true })
          .then(() => ch.bindQueue(`${names.cluster}.actor.client-alice-x`, names.net, "#")),
      ),
    ).toMatch(/ACCESS.REFUSED/);
    expect(
      await attempt(alice, (ch) =>
        ch
          .assertQueue(`${names.cluster}.actor.client-alice-z`, { exclusive: true })
          .then(() => ch.bindQueue(`${names.cluster}.actor.client-alice-z`, names.peer, backup)),
      ),
    ).toMatch(/ACCESS.REFUSED/);
    expect(
      await attempt(alice, (ch) =>
        ch
          .assertQueue(`${names.cluster}.actor.client-alice-y`, { exclusive: true })
          .then(() => ch.bindQueue(`${names.cluster}.actor.client-alice-y`, names.events, "#")),
      ),
    ).toMatch(/ACCESS.REFUSED/);
    expect(await attempt(alice, (ch) => ch.assertQueue(names.actorQueue("server-9")))).toMatch(
      /ACCESS.REFUSED/,
    );
    expect(await attempt(alice, (ch) => ch.consume(names.lost, () => {}))).toMatch(/ACCESS.REFUSED/);
    expect(await attempt(alice, (ch) => ch.deleteExchange(names.net))).toMatch(/ACCESS.REFUSED/);
    // Each forged message that reached a node was refused there and counted.
    await expectForgedRefusals(cluster, rejectedBefore, 9);
    await sleep(4 * cluster.config.clientRetryMs);
    samePrimaryAndView(before, await cluster.view());
    expect(cluster.exits).toEqual([]);
    const reader = await cluster.clients.newClient();
    expect(await reader.invoke({ f: "get", key: "k" }, 5_000)).toEqual({ kind: "ok", value: "before" });
    await reader.stop();
  });

  it("keeps serving views through a client user's flood of junk at the primary", async () => {
    const session = await cluster.clientsOf("alice").then((clients) => clients.newClient());
    expect(await session.invoke({ f: "put", key: "flood", value: "kept" }, 5_000)).toEqual({
      kind: "ok",
      value: "",
    });
    const before = await cluster.view();
    const primary = before.primary ?? "";
    const rejectedBefore = cluster.latestCounters(primary)?.rejected ?? 0;
    const channel = await alice.createConfirmChannel();
    channel.on("error", () => {});
    const flood = 20_000;
    const started = performance.now();
    for (let i = 0; i < flood; i++) {
      channel.publish(names.requests, primary, Buffer.from(`junk ${i}`), { userId: aliceUser });
      if (i % 1_000 === 999) await channel.waitForConfirms().catch(() => {});
    }
    await channel.waitForConfirms().catch(() => {}); // nacks: the queue's bound refused some
    await channel.close();
    const floodMs = performance.now() - started;
    // The primary reads its way through the junk (refusing each one) while its pings go on.
    const drained = await cluster.waitForEvent(
      () => (cluster.latestCounters(primary)?.rejected ?? 0) >= rejectedBefore + flood * 0.5,
      60_000,
      "the primary refused the flood",
    );
    expect(drained).toBeDefined();
    samePrimaryAndView(before, await cluster.view());
    expect(await session.invoke({ f: "get", key: "flood" }, 10_000)).toEqual({ kind: "ok", value: "kept" });
    await session.stop();
    console.log(`[security] ${flood} junk messages published in ${Math.round(floodMs)} ms; view unchanged`);
  });

  it("keeps guest out of the cluster's vhost", async () => {
    const vhostUrl = new URL(cluster.url);
    vhostUrl.username = "guest";
    vhostUrl.password = "guest";
    await expect(amqp.connect(vhostUrl.toString())).rejects.toThrow();
  });

  it("takes control commands from the operator only", async () => {
    const before = await cluster.view();
    // Only the operator's user may publish there; a host checks the user_id again.
    cluster.control({ type: "status" });
    await cluster.waitForEvent((event) => event.type === "status", 10_000, "a status answer");
    samePrimaryAndView(before, await cluster.view());
  });
});

/** The forged ping on an open cluster: sent this many times at most, each given this long to change the view. */
const attackAttemptsMax = 20;
const attackWaitMs = 500;

describe("an --insecure cluster (pb), the same forged ping", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("changes the view: the attack works where security is off", async () => {
    const before = await cluster.view();
    const guest = await amqp.connect(inject("amqpUrl"));
    let after: View | null = null;
    try {
      // The view server moves only once the primary acknowledged the view (the ack rule), and the
      // real primary's next ping, 25 ms on, restores its incarnation: an attacker sends it again
      // until it lands (on a busy machine the cluster's first view may still be unacknowledged).
      for (let sent = 0; sent < attackAttemptsMax && after === null; sent++) {
        const ping = forged(before.primary ?? "", "viewserver", before.viewNum, {
          type: "Ping",
          viewNum: 0,
          incarnation: 7,
        });
        expect(await attempt(guest, publish(cluster.names.net, "viewserver", ping))).toBe("done");
        after = await cluster
          .waitForView((view) => view.viewNum > before.viewNum, attackWaitMs)
          .catch(() => null);
      }
    } finally {
      await guest.close();
    }
    expect(after, `no view change after ${attackAttemptsMax} forged pings`).not.toBeNull();
    expect(after?.viewNum).toBeGreaterThan(before.viewNum);
    expect(after?.primary).not.toBe(before.primary);
  });
});

describe("a secure cluster (vr): the same identity rules for replicas", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start({ protocol: "vr", secure: true });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("refuses a client user's forged view change and keeps the view", async () => {
    const url = await cluster.addClientUser("mallory");
    const user = brokerUserOf(cluster.names.cluster, { kind: "client", name: "mallory" });
    const mallory = await amqp.connect(url);
    mallory.on("error", () => {});
    const before = await cluster.view();
    const rejectedBefore = cluster.rejectedEvents().length;
    const replicas = before.replicas ?? [];
    const forger = replicas.find((replica) => replica !== before.primary) ?? "server-2";
    try {
      for (const to of replicas.filter((replica) => replica !== forger)) {
        const startViewChange = forged(forger, to, before.viewNum + 1000, {
          type: "StartViewChange",
          epoch: 0,
        });
        expect(await attempt(mallory, publish(cluster.names.requests, to, startViewChange, user))).toBe(
          "done",
        );
      }
      expect(
        await attempt(mallory, publish(cluster.names.net, before.primary ?? "", Buffer.from("{}"))),
      ).toMatch(/ACCESS.REFUSED/);
    } finally {
      await mallory.close();
    }
    await expectForgedRefusals(cluster, rejectedBefore, replicas.length - 1);
    await sleep(500);
    const after = await cluster.view();
    expect(after.viewNum).toBe(before.viewNum);
    expect(after.primary).toBe(before.primary);
  });
});
