// The in-memory network of `--transport memory`: delivery on a later
// macrotask (never inside the sender's handler), loss, partitions, delay,
// duplication, and nothing left pending once it is closed.
import { describe, expect, it } from "vitest";
import { MemoryNetwork } from "../../src/memory/network.js";
import type { Address } from "../../src/schemas/address.js";
import type { Envelope } from "../../src/schemas/envelope.js";

function message(from: Address, to: Address): Envelope {
  return { v: 1, id: `${from}>${to}`, from, to, viewNum: 0, sentAt: 0, body: { type: "GetView" } };
}

const settle = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A network with nodes a, b, c that record what they receive. */
function network(random: () => number = () => 0.5): { net: MemoryNetwork; inbox: Map<Address, Envelope[]> } {
  const net = new MemoryNetwork(random);
  const inbox = new Map<Address, Envelope[]>();
  for (const address of ["a", "b", "c"]) {
    inbox.set(address, []);
    net.attach(address, (received) => {
      inbox.get(address)?.push(received);
      return true;
    });
  }
  return { net, inbox };
}

describe("MemoryNetwork", () => {
  it("delivers on a later macrotask, a copy of its own", async () => {
    const { net, inbox } = network();
    const sent = message("a", "b");
    net.send(sent);
    expect(inbox.get("b")).toEqual([]); // not inside the send
    expect(net.inFlight).toBe(1);
    await settle();
    expect(inbox.get("b")).toEqual([sent]);
    expect(inbox.get("b")?.[0]).not.toBe(sent);
    expect(net.stats).toMatchObject({ sent: 1, delivered: 1, dropped: 0 });
    expect(net.inFlight).toBe(0);
  });

  it("loses every message with --drop 1 and none with --drop 0", async () => {
    const { net, inbox } = network();
    net.apply({ type: "net", drop: 1, duplicate: 0, delayMs: [0, 0] });
    for (let i = 0; i < 10; i++) net.send(message("a", "b"));
    await settle();
    expect(inbox.get("b")).toHaveLength(0);
    expect(net.stats.dropped).toBe(10);
    net.apply({ type: "reset" });
    net.send(message("a", "b"));
    await settle();
    expect(inbox.get("b")).toHaveLength(1);
  });

  it("keeps groups of a partition apart; a node in no group reaches everyone; heal ends it", async () => {
    const { net, inbox } = network();
    const effect = net.apply({ type: "partition", groups: [["a"], ["b"]] });
    expect(effect).toContain("partition a | b");
    net.send(message("a", "b"));
    net.send(message("b", "a"));
    net.send(message("a", "c"));
    net.send(message("c", "b"));
    await settle();
    expect(inbox.get("a")).toHaveLength(0);
    expect(inbox.get("b")?.map((m) => m.from)).toEqual(["c"]);
    expect(inbox.get("c")?.map((m) => m.from)).toEqual(["a"]);
    expect(net.stats.partitioned).toBe(2);
    net.apply({ type: "heal" });
    net.send(message("a", "b"));
    await settle();
    expect(inbox.get("b")?.map((m) => m.from)).toEqual(["c", "a"]);
  });

  it("holds a message back for the delay and sends a duplicate twice", async () => {
    const { net, inbox } = network(() => 0); // every chance taken, the lowest delay drawn
    net.apply({ type: "net", drop: 0, duplicate: 1, delayMs: [30, 30] });
    net.send(message("a", "b"));
    await settle(5);
    expect(inbox.get("b")).toHaveLength(0);
    expect(net.inFlight).toBe(2);
    await settle(60);
    expect(inbox.get("b")).toHaveLength(2);
    expect(net.stats.duplicated).toBe(1);
  });

  it("counts a message to a node that refuses it or does not exist", async () => {
    const { net } = network();
    net.attach("down", () => false);
    net.send(message("a", "down"));
    net.send(message("a", "nobody"));
    await settle();
    expect(net.stats).toMatchObject({ delivered: 0, refused: 2 });
  });

  it("cancels everything in flight when closed", async () => {
    const { net, inbox } = network();
    net.apply({ type: "net", drop: 0, duplicate: 0, delayMs: [50, 50] });
    net.send(message("a", "b"));
    net.send(message("b", "c"));
    expect(net.inFlight).toBe(2);
    net.close();
    expect(net.inFlight).toBe(0);
    await settle(80);
    expect(inbox.get("b")).toHaveLength(0);
    expect(inbox.get("c")).toHaveLength(0);
  });
});
