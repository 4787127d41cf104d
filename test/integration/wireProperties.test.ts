// What an envelope carries besides its content (issue 21): every AMQP
// property is encoded by the sender, parsed by the broker and decoded by the
// receiver on every hop, so a node of an open cluster sends only the content
// type: no message id or type (the envelope has both), and no `user_id`,
// which only a secure cluster's receivers read. A connection stamps its user
// unless told not to, so a secure cluster's hosts (its users are its
// principals) still carry it: test/integration/security.test.ts shows them
// refusing a forged sender by it.
import { nanoid } from "nanoid";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ConsumeMessage, MessagePropertyHeaders } from "amqplib";
import { BrokerConnection } from "../../src/broker/connection.js";
import { startNode, type RunningNode } from "../../src/broker/node.js";
import { clusterNames, deleteTopology } from "../../src/broker/topology.js";
import { protocolNamed } from "../../src/protocols/registry.js";

const log = pino({ level: "silent" });
const probe = "client-probe";

/** The first message on `queue`. */
function firstMessage(connection: BrokerConnection, queue: string): Promise<ConsumeMessage> {
  const channel = connection.currentChannel();
  if (channel === null) throw new Error("not connected");
  return new Promise((resolve) => {
    void channel.consume(queue, (message) => message !== null && resolve(message), { noAck: true });
  });
}

/** The properties a message arrived with, those amqplib leaves undefined left out. */
function setProperties(message: ConsumeMessage): Record<string, unknown> {
  const properties = message.properties as unknown as Record<string, unknown> & {
    headers?: MessagePropertyHeaders;
  };
  return Object.fromEntries(
    Object.entries(properties).filter(
      ([name, value]) =>
        value !== undefined && !(name === "headers" && Object.keys(value ?? {}).length === 0),
    ),
  );
}

describe("AMQP properties on the wire", () => {
  const names = clusterNames(`itest-props-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`);
  const pb = protocolNamed("pb");
  let node: RunningNode;
  let watcher: BrokerConnection;

  beforeAll(async () => {
    node = await startNode({
      protocol: pb,
      role: "viewserver",
      address: "viewserver",
      names,
      url: inject("amqpUrl"),
      config: pb.config.make({}),
      checkInvariants: true,
      log,
      onFatal: (error) => {
        throw error;
      },
    });
    watcher = await BrokerConnection.open({
      url: inject("amqpUrl"),
      connectionName: `pbkv ${names.cluster} watcher`,
      log,
      topology: null,
    });
  });

  afterAll(async () => {
    await node?.stop();
    await watcher?.withScratchChannel((channel) => deleteTopology(channel, names, ["viewserver"]));
    await watcher?.close();
  });

  it("an open cluster's node sends the content type alone", async () => {
    const channel = watcher.currentChannel();
    if (channel === null) throw new Error("not connected");
    const inbox = names.actorQueue(probe);
    await channel.assertQueue(inbox, { exclusive: true, autoDelete: true });
    await channel.bindQueue(inbox, names.net, probe);
    const reply = firstMessage(watcher, inbox);
    const getView = { v: 1, id: nanoid(), from: probe, to: "viewserver", viewNum: 0, sentAt: 0 };
    watcher.publish(
      names.requests,
      "viewserver",
      Buffer.from(JSON.stringify({ ...getView, body: { type: "GetView" } })),
    );
    const message = await reply;
    expect(JSON.parse(message.content.toString()).body.type).toBe("ViewReply");
    expect(setProperties(message)).toEqual({ contentType: "application/json" });
  });

  it("a connection stamps its user as user_id unless told not to", async () => {
    const channel = watcher.currentChannel();
    if (channel === null) throw new Error("not connected");
    const [stampedQueue, unstampedQueue] = [`itest-props-${nanoid(8)}`, `itest-props-${nanoid(8)}`];
    for (const queue of [stampedQueue, unstampedQueue])
      await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
    const stamped = firstMessage(watcher, stampedQueue);
    watcher.publish("", stampedQueue, Buffer.from("{}"));
    expect(setProperties(await stamped)).toEqual({ userId: watcher.user });

    const unstamping = await BrokerConnection.open({
      url: inject("amqpUrl"),
      connectionName: `pbkv ${names.cluster} unstamped`,
      log,
      topology: null,
      stampsUserId: false,
    });
    try {
      const unstamped = firstMessage(watcher, unstampedQueue);
      unstamping.publish("", unstampedQueue, Buffer.from("{}"));
      expect(setProperties(await unstamped)).toEqual({});
    } finally {
      await unstamping.close();
    }
  });
});
