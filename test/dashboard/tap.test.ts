// The message tap (src/dashboard/tap.ts): what a copy from `<c>.net` or
// `<c>.lost` says about its message, and how many the browser gets.
import { protocolNamed } from "../../src/protocols/registry.js";
import { describe, expect, it } from "vitest";
import { classifyDelivery, Sampler, type RawDelivery } from "../../src/dashboard/tap.js";

const pb = protocolNamed("pb");

const envelope = {
  v: 1,
  id: "m1",
  from: "client-abc",
  to: "server-1",
  viewNum: 3,
  sentAt: 1_000.5,
  body: { type: "Request", session: 1, seq: 7, op: { f: "put", key: "k", value: "v" } },
};

function delivery(body: unknown, headers?: Record<string, unknown>): RawDelivery {
  return {
    content: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
    fields: { routingKey: "server-1" },
    properties: { headers },
  };
}

describe("classifyDelivery", () => {
  it("a copy straight from <c>.net was delivered", () => {
    const tapped = classifyDelivery(pb, "c", "net", delivery(envelope));
    expect(tapped).toMatchObject({
      id: "m1",
      from: "client-abc",
      to: "server-1",
      type: "Request",
      seq: 7,
      fate: "delivered",
      delayMs: null,
      sentAt: 1_000.5,
    });
    expect(tapped?.label).toBe('client-abc -> server-1 [v3] Request(s1 #7 put("k", "v"))');
  });

  it("a copy dead-lettered by a delay bucket was delayed by that bucket", () => {
    const headers = { "x-death": [{ queue: "c.delay.50", reason: "expired", count: 1 }] };
    expect(classifyDelivery(pb, "c", "net", delivery(envelope, headers))).toMatchObject({
      fate: "delayed",
      delayMs: 50,
    });
  });

  it("reads why a message was lost", () => {
    const lost = (headers?: Record<string, unknown>): string | undefined =>
      classifyDelivery(pb, "c", "lost", delivery(envelope, headers))?.fate;
    const dropDeath = [{ queue: "c.drop", reason: "expired" }];
    expect(lost({ "pbkv-lost": "drop", "x-death": dropDeath })).toBe("dropped");
    expect(lost({ "pbkv-lost": "partition", "x-death": dropDeath })).toBe("partitioned");
    // Refused by a crashed node: the latest death is the nack, after a delay bucket.
    const refused = [
      { queue: "c.actor.server-1", reason: "rejected" },
      { queue: "c.delay.10", reason: "expired" },
    ];
    expect(lost({ "x-death": refused })).toBe("refused");
    expect(lost({ "x-death": [{ queue: "c.actor.server-1", reason: "expired" }] })).toBe("expired");
    expect(lost()).toBe("unroutable");
  });

  it("an ok Reply carries its sequence number", () => {
    const reply = {
      ...envelope,
      from: "server-1",
      to: "client-abc",
      body: { type: "Reply", seq: 7, result: { ok: true, value: "" } },
    };
    expect(classifyDelivery(pb, "c", "net", delivery(reply))).toMatchObject({ seq: 7, replyOk: true });
  });

  it("skips what is not an envelope", () => {
    expect(classifyDelivery(pb, "c", "net", delivery("not json"))).toBeNull();
    expect(classifyDelivery(pb, "c", "net", delivery({ ...envelope, v: 2 }))).toBeNull();
  });

  it("cuts long labels", () => {
    const long = {
      ...envelope,
      body: { type: "Request", session: 1, seq: 1, op: { f: "get", key: "k".repeat(250) } },
    };
    const label = classifyDelivery(pb, "c", "net", delivery(long))?.label ?? "";
    expect(label.length).toBeLessThanOrEqual(160);
    expect(label.endsWith("…")).toBe(true);
  });
});

describe("Sampler", () => {
  it("admits about perSecond ordinary messages a second, spread evenly", () => {
    const sampler = new Sampler(100);
    let admitted = 0;
    for (let at = 0; at < 10_000; at += 1) if (sampler.admit(at, false, false)) admitted += 1;
    expect(admitted).toBeGreaterThanOrEqual(990);
    expect(admitted).toBeLessThanOrEqual(1_011);
  });

  it("keeps heartbeats to a quarter and marked messages in a budget of their own", () => {
    const sampler = new Sampler(100);
    let pings = 0;
    let drops = 0;
    for (let at = 0; at < 10_000; at += 0.5) {
      if (sampler.admit(at, true, false)) pings += 1;
      if (sampler.admit(at, false, true)) drops += 1;
    }
    expect(pings).toBeGreaterThan(240);
    expect(pings).toBeLessThanOrEqual(255);
    expect(drops).toBeGreaterThan(990);
  });
});
