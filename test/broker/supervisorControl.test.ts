// The supervisor's `start` command (src/broker/supervisorControl.ts): only
// `start` is its own (other control commands are the nodes'), a secure
// cluster takes it only from the operator's broker user (the broker-stamped
// user_id), and the outcome goes out as a `fault.<node>` event. No broker:
// the channel, connection and supervisor are stand-ins.
import type { Channel, ConsumeMessage } from "amqplib";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { BrokerConnection } from "../../src/broker/connection.js";
import type { ClusterSupervisor } from "../../src/broker/supervisor.js";
import { SupervisorControl } from "../../src/broker/supervisorControl.js";
import { clusterNames } from "../../src/broker/topology.js";

const names = clusterNames("rcb-unit");
const operator = "rcb-unit.operator";

async function listening(operatorUser: string | null) {
  let deliver: (message: ConsumeMessage) => void = () => {};
  const channel = {
    assertQueue: vi.fn(async () => ({})),
    bindQueue: vi.fn(async () => ({})),
    consume: vi.fn(async (_queue: string, onMessage: (message: ConsumeMessage) => void) => {
      deliver = onMessage;
      return { consumerTag: "t" };
    }),
  };
  const startOnRequest = vi.fn(() => ({ started: true, detail: "process 42 started" }));
  const publish = vi.fn(() => true);
  const said: string[] = [];
  const control = new SupervisorControl({
    names,
    connection: { publish } as unknown as BrokerConnection,
    supervisor: { startOnRequest } as unknown as ClusterSupervisor,
    operatorUser,
    log: pino({ level: "silent" }),
    say: (line) => said.push(line),
  });
  await control.attach(channel as unknown as Channel);
  const send = (command: unknown, userId?: string): void =>
    deliver({ content: Buffer.from(JSON.stringify(command)), properties: { userId } } as ConsumeMessage);
  return { send, startOnRequest, publish, said };
}

describe("the supervisor's start command", () => {
  it("starts the node and answers with a fault event; ignores the nodes' commands", async () => {
    const { send, startOnRequest, publish } = await listening(null);
    send({ type: "crash", node: "server-4" });
    send({ type: "status" });
    expect(startOnRequest).not.toHaveBeenCalled();
    send({ type: "start", node: "server-4" });
    expect(startOnRequest).toHaveBeenCalledWith("server-4");
    const [exchange, routingKey, content] = publish.mock.calls[0] as unknown as [string, string, Buffer];
    expect([exchange, routingKey]).toEqual([names.events, "fault.server-4"]);
    expect(JSON.parse(content.toString())).toMatchObject({
      type: "fault",
      command: { type: "start", node: "server-4" },
      effect: "started: process 42 started",
    });
  });

  it("on a secure cluster, takes it only from the operator's broker user", async () => {
    const { send, startOnRequest, said } = await listening(operator);
    send({ type: "start", node: "server-4" }, "rcb-unit.client.mallory");
    send({ type: "start", node: "server-5" });
    expect(startOnRequest).not.toHaveBeenCalled();
    expect(said).toEqual([
      "refused to start server-4: asked by rcb-unit.client.mallory, not the operator",
      "refused to start server-5: asked by no user, not the operator",
    ]);
    send({ type: "start", node: "server-6" }, operator);
    expect(startOnRequest).toHaveBeenCalledWith("server-6");
  });
});
