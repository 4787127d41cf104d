// Writes coalesced (src/broker/connection.ts, coalesceWrites): everything one
// turn of the event loop publishes reaches the socket in one or a few writes
// instead of one system call per frame, and nothing is lost or reordered on
// the way. Also guards an amqplib upgrade: the muxer must still have the shape
// the corking relies on.
import { nanoid } from "nanoid";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BrokerConnection } from "../../src/broker/connection.js";

const messages = 200;

interface CountedSocket {
  _write: (...args: unknown[]) => void;
  _writev?: (...args: unknown[]) => void;
}

describe("coalesced writes on a real connection", () => {
  let connection: BrokerConnection;
  const queue = `itest-coalesce-${nanoid(8)}`;
  beforeAll(async () => {
    connection = await BrokerConnection.open({
      url: inject("amqpUrl"),
      connectionName: `pbkv ${queue}`,
      log: pino({ level: "silent" }),
      topology: null,
    });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it("sends one turn's publishes in a few socket writes, all delivered in order", async () => {
    expect(connection.writesCoalesced).toBe(true);
    const channel = connection.currentChannel();
    if (channel === null) throw new Error("not connected");
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true });

    // The socket amqplib writes to: count the calls that reach it.
    const socket = (channel as unknown as { connection: { stream: CountedSocket } }).connection.stream;
    let socketWrites = 0;
    const write = socket._write.bind(socket);
    socket._write = (...args) => {
      socketWrites += 1;
      write(...args);
    };
    const writev = socket._writev?.bind(socket);
    if (writev !== undefined)
      socket._writev = (...args) => {
        socketWrites += 1;
        writev(...args);
      };

    const received: number[] = [];
    const done = new Promise<void>((resolve) => {
      void channel.consume(
        queue,
        (message) => {
          if (message === null) return;
          received.push(Number(message.content.toString()));
          if (received.length === messages) resolve();
        },
        { noAck: true },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the consume has gone out
    socketWrites = 0;
    for (let index = 0; index < messages; index += 1)
      expect(connection.publish("", queue, Buffer.from(String(index)))).toBe(true);
    await done;

    expect(received).toEqual(Array.from({ length: messages }, (_, index) => index));
    // Without corking this is one write per publish (200); heartbeats may add one or two.
    expect(socketWrites).toBeLessThanOrEqual(5);
    console.log(`[coalesce] ${messages} publishes in ${socketWrites} socket write(s)`);
  });
});
