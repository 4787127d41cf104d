// Where a host publishes (src/broker/hostSender.ts): untapped, a node's sends
// go straight into the destination's queue through the default exchange;
// while a tap lease runs, through `<c>.peer` (server to server) and `<c>.net`,
// where taps bind. Delayed and lost copies and client requests take their
// own exchanges either way.
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { BrokerConnection } from "../../src/broker/connection.js";
import { cleanFaults } from "../../src/broker/faults.js";
import { HostSender } from "../../src/broker/hostSender.js";
import { clusterNames } from "../../src/broker/topology.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { Address } from "../../src/schemas/address.js";
import { zeroCounters } from "../../src/schemas/clusterEvents.js";
import type { Envelope } from "../../src/schemas/envelope.js";

const names = clusterNames("hs");

interface Published {
  exchange: string;
  routingKey: string;
}

function senderOf(address: Address, tapped: boolean, asClient = false) {
  const published: Published[] = [];
  const record = (exchange: string, routingKey: string): boolean => {
    published.push({ exchange, routingKey });
    return true;
  };
  const connection = { publish: record, publishBatched: record } as unknown as BrokerConnection;
  const sender = new HostSender({
    names,
    address,
    asClient,
    connection,
    protocol: protocolNamed("pb"),
    counters: zeroCounters(),
    log: pino({ level: "silent" }),
    isTapped: () => tapped,
  });
  return { sender, published };
}

function envelope(from: Address, to: Address): Envelope {
  return { v: 1, id: "m1", from, to, viewNum: 1, sentAt: 0, body: { type: "Ping" } };
}

describe("a host's sends", () => {
  it("go straight into the destination's queue while untapped, a group member's into its group's", () => {
    const { sender, published } = senderOf("server-1", false);
    for (const to of ["server-2", "viewserver", "client-abc--3"])
      sender.send(envelope("server-1", to), cleanFaults());
    expect(published).toEqual([
      { exchange: "", routingKey: names.actorQueue("server-2") },
      { exchange: "", routingKey: names.actorQueue("viewserver") },
      { exchange: "", routingKey: names.actorQueue("client-abc") },
    ]);
  });

  it("go where taps bind while a tap lease runs: <c>.peer between servers, else <c>.net", () => {
    const { sender, published } = senderOf("server-1", true);
    for (const to of ["server-2", "viewserver", "client-abc--3"])
      sender.send(envelope("server-1", to), cleanFaults());
    expect(published).toEqual([
      { exchange: names.peer, routingKey: "server-2" },
      { exchange: names.net, routingKey: "viewserver" },
      { exchange: names.net, routingKey: "client-abc" },
    ]);
  });

  it("keep delayed and lost copies on <c>.delay, and a client's requests on <c>.requests, tapped or not", () => {
    for (const tapped of [false, true]) {
      const { sender, published } = senderOf("server-1", tapped);
      const delayed = {
        ...cleanFaults(),
        net: { drop: 0, duplicate: 0, delayMs: [50, 50] as [number, number] },
      };
      sender.send(envelope("server-1", "server-2"), delayed);
      const lost = { ...cleanFaults(), net: { drop: 1, duplicate: 0, delayMs: [0, 0] as [number, number] } };
      sender.send(envelope("server-1", "server-2"), lost);
      expect(published).toEqual([
        { exchange: names.delay, routingKey: "server-2" },
        { exchange: names.delay, routingKey: "server-2" },
      ]);
      const client = senderOf("client-abc--3", tapped, true);
      client.sender.send(envelope("client-abc--3", "server-1"), cleanFaults());
      expect(client.published).toEqual([{ exchange: names.requests, routingKey: "server-1" }]);
    }
  });
});
