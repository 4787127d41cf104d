// Wire batches (DESIGN §4.2, src/broker/wireBatch.ts, sendBatcher.ts): what a
// connection sends one destination in one turn travels in one AMQP message;
// the receiving host checks each envelope on its own, so a bad one is refused
// (and reported) without dropping the good ones beside it. Client groups
// (clientInbox.ts): a connection's client actors share one inbox, which nodes
// reach through the group's routing key.
import type { Channel, ConsumeMessage, Options } from "amqplib";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ActorDefinition } from "../../src/actors/context.js";
import { ActorHost } from "../../src/broker/actorHost.js";
import { ClientInbox, groupMemberAddress, netRoutingKey } from "../../src/broker/clientInbox.js";
import type { Attachment, BrokerConnection } from "../../src/broker/connection.js";
import type { RejectReporter } from "../../src/broker/rejectReporter.js";
import { SendBatcher } from "../../src/broker/sendBatcher.js";
import { clusterNames } from "../../src/broker/topology.js";
import { decodeWireContent, packBatches, wireItems } from "../../src/broker/wireBatch.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { Envelope } from "../../src/schemas/envelope.js";
import { newClientAddress } from "../../src/security/principal.js";

const text = (buffer: Buffer): string => buffer.toString("utf8");
const envelopeText = (n: number): Buffer => Buffer.from(JSON.stringify({ n }));

describe("packBatches and decodeWireContent", () => {
  it("groups consecutive envelopes in sending order, a lone one as itself, and decodes them back", () => {
    const contents = [1, 2, 3].map(envelopeText);
    const packed = packBatches(contents);
    expect(packed.map(({ first, count }) => [first, count])).toEqual([[0, 3]]);
    expect(text(packed[0]?.content ?? Buffer.alloc(0))).toBe('[{"n":1},{"n":2},{"n":3}]');
    expect(wireItems(text(packed[0]?.content ?? Buffer.alloc(0)))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const alone = packBatches([envelopeText(7)]);
    expect(alone).toEqual([{ content: envelopeText(7), first: 0, count: 1 }]);
    expect(wireItems(text(envelopeText(7)))).toEqual([{ n: 7 }]);
  });

  it("keeps to the bounds: at most messagesMax envelopes, bytesMax bytes, and a larger envelope alone", () => {
    const five = [1, 2, 3, 4, 5].map(envelopeText);
    expect(packBatches(five, { messagesMax: 2, bytesMax: 1000 }).map((p) => p.count)).toEqual([2, 2, 1]);
    // Each is 7 bytes; two with brackets and a comma are 17.
    expect(packBatches(five, { messagesMax: 10, bytesMax: 17 }).map((p) => p.count)).toEqual([2, 2, 1]);
    expect(packBatches(five, { messagesMax: 10, bytesMax: 16 }).map((p) => p.count)).toEqual([1, 1, 1, 1, 1]);
    const big = Buffer.from(JSON.stringify({ n: "x".repeat(100) }));
    const mixed = packBatches([envelopeText(1), envelopeText(2), big, envelopeText(3)], {
      messagesMax: 10,
      bytesMax: 50,
    });
    expect(mixed.map(({ first, count }) => [first, count])).toEqual([
      [0, 2],
      [2, 1],
      [3, 1],
    ]);
    expect(mixed[1]?.content).toBe(big);
    for (const { content, count } of mixed) if (count > 1) expect(content.length).toBeLessThanOrEqual(50);
  });

  it("refuses what is not JSON, an empty batch and one over the bound, whole; anything else is one envelope", () => {
    expect(decodeWireContent("{not json")).toMatchObject({ kind: "invalid", reason: /^not JSON/ });
    expect(decodeWireContent("[]")).toEqual({ kind: "invalid", reason: "an empty batch" });
    expect(decodeWireContent("[1,2,3]", 2)).toEqual({
      kind: "invalid",
      reason: "a batch of 3 envelopes (limit 2)",
    });
    expect(decodeWireContent('"a string"')).toEqual({ kind: "one", data: "a string" });
    expect(decodeWireContent('{"v":1}')).toEqual({ kind: "one", data: { v: 1 } });
    expect(wireItems("[]")).toEqual([]);
  });
});

describe("SendBatcher", () => {
  it("publishes at the end of the turn: one message per destination, a lone one with its own properties", async () => {
    const published: { exchange: string; key: string; content: string; options: Options.Publish }[] = [];
    const batcher = new SendBatcher((exchange, key, content, options) => {
      published.push({ exchange, key, content: text(content), options });
      return true;
    });
    batcher.send("x", "server-1", envelopeText(1), { messageId: "a" });
    batcher.send("x", "server-2", envelopeText(2), { messageId: "b" });
    batcher.send("x", "server-1", envelopeText(3), { messageId: "c" });
    expect(published).toEqual([]); // not before the turn ends
    await new Promise((resolve) => process.nextTick(resolve));
    expect(published).toEqual([
      {
        exchange: "x",
        key: "server-1",
        content: '[{"n":1},{"n":3}]',
        options: { contentType: "application/json", type: "batch" },
      },
      { exchange: "x", key: "server-2", content: '{"n":2}', options: { messageId: "b" } },
    ]);
    expect([batcher.batchesSent, batcher.batchedEnvelopes]).toEqual([1, 2]);
    batcher.send("x", "server-1", envelopeText(4), {});
    await new Promise((resolve) => process.nextTick(resolve));
    expect(published.at(-1)?.content).toBe('{"n":4}');
  });
});

describe("ActorHost receiving a wire batch", () => {
  const pb = protocolNamed("pb");
  const names = clusterNames("wb");
  const envelope = (from: string, to = "viewserver", id = from): Envelope => ({
    v: 1,
    id,
    from,
    to,
    viewNum: 0,
    sentAt: 1,
    body: { type: "GetView" },
  });

  it("delivers each valid envelope in order, reports each bad one with its reason, and acks the message once", async () => {
    const { host, deliver, received, rejected, acks } = await hostOn("guest");
    const batch = [
      envelope("client-a"),
      { ...envelope("client-b"), v: 2 },
      envelope("client-c", "server-1"),
      "junk",
      envelope("client-d"),
    ];
    deliver(JSON.stringify(batch));
    expect(received).toEqual(["client-a", "client-d"]);
    expect(rejected.map((reason) => reason.split("\n")[0])).toEqual([
      expect.stringMatching(/v/),
      "addressed to server-1, not to viewserver",
      expect.stringMatching(/expected object/i),
    ]);
    expect(acks).toEqual(["ack"]);
    expect(host.countersSnapshot()).toMatchObject({ messagesIn: 2, rejected: 3 });
    await host.stop({ deleteQueue: false });
  });

  it("refuses a malformed batch whole, and dead-letters a batch for a crashed actor whole", async () => {
    const { host, deliver, received, rejected, acks } = await hostOn("guest");
    deliver("[]");
    deliver(JSON.stringify(Array.from({ length: 129 }, () => envelope("client-a"))));
    expect(rejected).toEqual(["an empty batch", "a batch of 129 envelopes (limit 128)"]);
    expect(acks).toEqual(["ack", "ack"]);
    (host as unknown as { crash(): string }).crash();
    deliver(JSON.stringify([envelope("client-a"), envelope("client-b")]));
    expect(acks.at(-1)).toBe("nack");
    expect(received).toEqual([]);
    expect(host.countersSnapshot()).toMatchObject({ refused: 2 });
    await host.stop({ deleteQueue: false });
  });

  it("on a secure cluster takes each sender from the broker's user_id: one forged envelope is refused, the rest delivered", async () => {
    const user = `${names.cluster}.client.alice`;
    const { host, deliver, received, rejected } = await hostOn(`${names.cluster}.operator`);
    const batch = [envelope("client-alice-1"), envelope("client-bob-1"), envelope("client-alice-2")];
    deliver(JSON.stringify(batch), user);
    expect(received).toEqual(["client-alice-1", "client-alice-2"]);
    expect(rejected).toEqual([
      `forged sender: user ${user} may speak only as client-alice-*, not as client-bob-1`,
    ]);
    await host.stop({ deleteQueue: false });
  });

  /** An actor host on a fake connection of broker user `user`, with what it received, refused and acked. */
  async function hostOn(user: string) {
    const received: string[] = [];
    const rejected: string[] = [];
    const acks: string[] = [];
    let consumer: ((message: ConsumeMessage | null) => void) | null = null;
    const channel = {
      assertQueue: () => Promise.resolve({}),
      bindQueue: () => Promise.resolve({}),
      consume: (queue: string, onMessage: (message: ConsumeMessage | null) => void) => {
        if (queue === names.actorQueue("viewserver")) consumer = onMessage;
        return Promise.resolve({ consumerTag: queue });
      },
      ack: () => acks.push("ack"),
      nack: () => acks.push("nack"),
    } as unknown as Channel;
    const connection = {
      user,
      isConnected: true,
      add: (attachment: Attachment) => attachment.attach(channel),
      remove: () => {},
      currentChannel: () => null,
      publish: (_exchange: string, _key: string, _content: Buffer, options: Options.Publish) => {
        const reason = options.headers?.["pbkv-reason"] as string | undefined;
        if (reason !== undefined) rejected.push(reason);
        return true;
      },
      publishBatched: () => true,
    } as unknown as BrokerConnection;
    const definition: ActorDefinition<object> = {
      kind: "viewserver",
      init: () => ({}),
      onMessage: (_state, message) => void received.push(message.from),
      onTimer: () => {},
      viewNum: () => 0,
      invariants: () => {},
      describe: () => "recorder",
    };
    const host = new ActorHost({
      names,
      address: "viewserver",
      protocol: pb,
      definition,
      connection,
      log: pino({ level: "silent" }),
      checkInvariants: true,
      onFatal: (error) => {
        throw error;
      },
    });
    await host.start();
    const deliver = (content: string, userId = user): void =>
      consumer?.({
        content: Buffer.from(content),
        fields: {},
        properties: { userId, headers: {} },
      } as unknown as ConsumeMessage);
    return { host, deliver, received, rejected, acks };
  }
});

describe("client groups", () => {
  it("reaches a group's member through the group's key; any other address through itself", () => {
    const group = newClientAddress("c", "guest");
    expect(group.slice("client-".length)).not.toContain("-"); // so no lone address ends in --<n>
    expect(netRoutingKey(groupMemberAddress(group, 7))).toBe(group);
    expect(netRoutingKey("client-alice-abc--12")).toBe("client-alice-abc");
    for (const address of ["server-1", "viewserver", group, "client-x--", "client---3", "client-a-b"])
      expect(netRoutingKey(address)).toBe(address);
  });

  it("hands each envelope of a delivery to the member it is addressed to, and refuses what is not JSON whole", () => {
    const reasons: string[] = [];
    const reporter = { report: (_content: Buffer, _source: string, reason: string) => reasons.push(reason) };
    const inbox = new ClientInbox(clusterNames("wb"), "client-g", reporter as unknown as RejectReporter);
    const got: Record<string, unknown[]> = {};
    const member = (address: string) => ({
      address,
      receive: (items: readonly unknown[], user: string | undefined) =>
        void (got[address] = [...(got[address] ?? []), ...items, user]),
    });
    const [one, two] = [member("client-g--1"), member("client-g--2")];
    inbox.join(one);
    inbox.join(two);
    const deliver = (content: string): void =>
      (inbox as unknown as { onDelivery(message: unknown): void }).onDelivery({
        content: Buffer.from(content),
        properties: { userId: "u" },
      });
    deliver(
      JSON.stringify([
        { to: "client-g--2", n: 1 },
        { to: "client-g--1", n: 2 },
        { to: "client-g--2", n: 3 },
      ]),
    );
    deliver(JSON.stringify([{ to: "client-g--9" }, "junk", null]));
    deliver("{nope");
    inbox.leave(two);
    deliver(JSON.stringify({ to: "client-g--2", n: 4 }));
    expect(got).toEqual({
      "client-g--1": [{ to: "client-g--1", n: 2 }, "u"],
      "client-g--2": [{ to: "client-g--2", n: 1 }, { to: "client-g--2", n: 3 }, "u"],
    });
    expect([inbox.unclaimed, inbox.refused]).toEqual([4, 1]);
    deliver(JSON.stringify({ to: "client-h--1" }));
    expect(reasons).toEqual([
      "addressed to no one, not to a client of client-g",
      "addressed to no one, not to a client of client-g",
      expect.stringMatching(/^not JSON/),
      "addressed to client-h--1, not to a client of client-g",
    ]); // not client-g--9 nor client-g--2 (after it left): late replies to members gone, counted only
    expect(inbox.unclaimed).toBe(5);
  });
});
