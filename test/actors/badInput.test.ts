// Bad input to each actor is refused without a state change (DESIGN §4):
// schema-invalid messages never reach an actor (drivers parse with zod and get
// a readable reason), and valid-but-wrong messages (wrong type for the role,
// stale or future views, senders that are not members) change nothing.
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/actors/client.js";
import { makeConfig } from "../../src/actors/config.js";
import type { ActorDefinition } from "../../src/actors/context.js";
import { createServer } from "../../src/actors/server.js";
import { createViewServer } from "../../src/actors/viewServer.js";
import { Envelope } from "../../src/schemas/envelope.js";
import type { MessageBody } from "../../src/schemas/messages.js";
import { parseJsonWith } from "../../src/schemas/parse.js";
import { ActorProbe, snapshotState } from "../support/actorProbe.js";

const config = makeConfig();
const incarnation = 2 ** 31;
const view2 = { viewNum: 2, primary: "server-1", backup: "server-2" };
const snapshot = { applied: 0, kv: [] as [string, string][], lastByClient: [] };

interface Case {
  from: string;
  viewNum: number;
  body: MessageBody;
  why: string;
}

const everyType: Case[] = [
  { from: "server-9", viewNum: 2, body: { type: "Ping", viewNum: 2, incarnation: 1 }, why: "ping" },
  {
    from: "viewserver",
    viewNum: 2,
    body: { type: "ViewReply", view: view2, primaryIncarnation: 1 },
    why: "view reply",
  },
  {
    from: "client-x",
    viewNum: 2,
    body: { type: "Request", seq: 1, op: { f: "get", key: "a" } },
    why: "request",
  },
  {
    from: "server-1",
    viewNum: 2,
    body: { type: "Reply", seq: 1, result: { ok: true, value: "v" } },
    why: "reply",
  },
  {
    from: "server-1",
    viewNum: 2,
    body: {
      type: "Forward",
      firstIndex: 1,
      entries: [{ client: "client-x", seq: 1, op: { f: "put", key: "a", value: "b" } }],
    },
    why: "forward",
  },
  {
    from: "server-2",
    viewNum: 2,
    body: { type: "ForwardAck", index: 1, incarnation: 99 },
    why: "forward ack",
  },
  { from: "server-2", viewNum: 2, body: { type: "ForwardReject" }, why: "forward reject" },
  { from: "server-1", viewNum: 2, body: { type: "StateTransfer", snapshot }, why: "state transfer" },
  {
    from: "server-2",
    viewNum: 2,
    body: { type: "StateTransferAck", applied: 0, incarnation: 99 },
    why: "state transfer ack",
  },
];

function expectUnchanged<S>(probe: ActorProbe<S>, cases: Case[]): void {
  for (const c of cases) {
    const before = snapshotState(probe.state);
    probe.deliver(c.from, c.body, c.viewNum);
    expect(
      snapshotState(probe.state),
      `${probe.self} after ${c.why} from ${c.from} in view ${c.viewNum}`,
    ).toEqual(before);
  }
}

describe("bad input", () => {
  it("schema-invalid envelopes are refused with a readable reason", () => {
    const cases = [
      "not json",
      "{}",
      JSON.stringify({
        v: 1,
        id: "1",
        from: "a",
        to: "b",
        viewNum: -1,
        sentAt: 0,
        body: { type: "Ping", viewNum: 0, incarnation: 0 },
      }),
      JSON.stringify({ v: 1, id: "1", from: "a", to: "b", viewNum: 0, sentAt: 0, body: { type: "Explode" } }),
      JSON.stringify({
        v: 1,
        id: "1",
        from: "a b",
        to: "b",
        viewNum: 0,
        sentAt: 0,
        body: { type: "GetView" },
      }),
      JSON.stringify({
        v: 1,
        id: "1",
        from: "a",
        to: "b",
        viewNum: 0,
        sentAt: 0,
        body: { type: "Request", seq: "1", op: { f: "get", key: "k" } },
      }),
      JSON.stringify({
        v: 1,
        id: "1",
        from: "a",
        to: "b",
        viewNum: 0,
        sentAt: 0,
        body: { type: "Request", seq: 1, op: { f: "put", key: "k", value: "x".repeat(70_000) } },
      }),
    ];
    for (const text of cases) {
      const result = parseJsonWith(Envelope, text);
      expect(result.ok, text.slice(0, 80)).toBe(false);
      if (!result.ok) expect(result.error.length).toBeGreaterThan(5);
    }
  });

  it("the view server ignores every message type it does not serve, pings from non-servers and future acks", () => {
    const vs = new ActorProbe(createViewServer(config), "viewserver");
    vs.deliver("server-1", { type: "Ping", viewNum: 0, incarnation: 1 });
    vs.deliver("server-1", { type: "Ping", viewNum: 1, incarnation: 1 });
    expectUnchanged(vs, [
      ...everyType.filter((c) => c.body.type !== "Ping"),
      {
        from: "client-x",
        viewNum: 0,
        body: { type: "Ping", viewNum: 1, incarnation: 1 },
        why: "ping from a client",
      },
      {
        from: "server-1",
        viewNum: 9,
        body: { type: "Ping", viewNum: 9, incarnation: 1 },
        why: "ack of a future view",
      },
    ]);
  });

  it("a backup ignores stale, future and foreign traffic", () => {
    const backup = new ActorProbe(createServer(config), "server-2");
    backup.deliver("viewserver", {
      type: "ViewReply",
      view: view2,
      primaryIncarnation: 7,
      pingIncarnation: incarnation,
    });
    backup.deliver("server-1", { type: "StateTransfer", snapshot }, 2);
    const forward = everyType.find((c) => c.body.type === "Forward")!.body;
    expectUnchanged(backup, [
      ...everyType.filter((c) => !["Forward", "StateTransfer", "Request"].includes(c.body.type)),
      { from: "server-1", viewNum: 1, body: forward, why: "forward from an older view" },
      { from: "server-1", viewNum: 3, body: forward, why: "forward from a future view" },
      { from: "server-3", viewNum: 2, body: forward, why: "forward from a non-member" },
      { from: "client-x", viewNum: 2, body: forward, why: "forward from a client" },
      {
        from: "server-3",
        viewNum: 2,
        body: { type: "StateTransfer", snapshot: { applied: 5, kv: [["a", "evil"]], lastByClient: [] } },
        why: "transfer from a non-member",
      },
      {
        from: "server-1",
        viewNum: 2,
        body: { type: "StateTransfer", snapshot: { applied: 5, kv: [["a", "evil"]], lastByClient: [] } },
        why: "second transfer in the view",
      },
      {
        from: "server-1",
        viewNum: 2,
        body: { type: "Request", seq: 1, op: { f: "put", key: "a", value: "b" } },
        why: "request from a server",
      },
      {
        from: "someone",
        viewNum: 2,
        body: {
          type: "ViewReply",
          view: { viewNum: 9, primary: "server-2", backup: null },
          primaryIncarnation: 1,
        },
        why: "view from an impostor",
      },
    ]);
  });

  it("a primary ignores acks from non-members, stale views and positions it never sent", () => {
    const primary = new ActorProbe(createServer(config), "server-1");
    primary.deliver("viewserver", {
      type: "ViewReply",
      view: { viewNum: 1, primary: "server-1", backup: null },
      primaryIncarnation: incarnation,
      pingIncarnation: incarnation,
    });
    primary.deliver("viewserver", { type: "ViewReply", view: view2, primaryIncarnation: incarnation });
    primary.deliver("server-2", { type: "StateTransferAck", applied: 0, incarnation: 99 }, 2);
    expectUnchanged(primary, [
      {
        from: "server-3",
        viewNum: 2,
        body: { type: "ForwardAck", index: 0, incarnation: 99 },
        why: "ack from a non-member",
      },
      {
        from: "server-2",
        viewNum: 1,
        body: { type: "ForwardAck", index: 0, incarnation: 99 },
        why: "ack from an old view",
      },
      {
        from: "server-2",
        viewNum: 2,
        body: { type: "ForwardAck", index: 50, incarnation: 99 },
        why: "ack for positions never sent",
      },
      {
        from: "server-2",
        viewNum: 2,
        body: { type: "StateTransferAck", applied: 3, incarnation: 99 },
        why: "transfer ack for another state",
      },
      {
        from: "viewserver",
        viewNum: 1,
        body: {
          type: "ViewReply",
          view: { viewNum: 1, primary: "server-3", backup: null },
          primaryIncarnation: 1,
        },
        why: "stale view",
      },
      ...everyType.filter((c) => ["Ping", "Reply", "GetView"].includes(c.body.type)),
    ]);
  });

  it("a client ignores replies to other requests, replies from non-servers and stale views", () => {
    const definition = createClient(config);
    const client = new ActorProbe(definition, "client-1");
    client.deliver("viewserver", { type: "ViewReply", view: view2, primaryIncarnation: 1 });
    definition.invoke(client.state, { f: "get", key: "a" }, client.ctx);
    expectUnchanged(client, [
      {
        from: "server-1",
        viewNum: 2,
        body: { type: "Reply", seq: 7, result: { ok: true, value: "x" } },
        why: "reply to a request never sent",
      },
      {
        from: "client-9",
        viewNum: 2,
        body: { type: "Reply", seq: 1, result: { ok: true, value: "x" } },
        why: "reply from a client",
      },
      {
        from: "viewserver",
        viewNum: 1,
        body: {
          type: "ViewReply",
          view: { viewNum: 1, primary: "server-3", backup: null },
          primaryIncarnation: 1,
        },
        why: "stale view",
      },
      {
        from: "server-1",
        viewNum: 2,
        body: {
          type: "ViewReply",
          view: { viewNum: 5, primary: "server-3", backup: null },
          primaryIncarnation: 1,
        },
        why: "view from a non-view-server",
      },
      ...everyType.filter((c) => !["Reply", "ViewReply"].includes(c.body.type)),
    ]);
  });

  it("handlers never throw on any valid message in any role", () => {
    const definitions: [string, ActorDefinition<unknown>][] = [
      ["viewserver", createViewServer(config) as ActorDefinition<unknown>],
      ["server-1", createServer(config) as ActorDefinition<unknown>],
      ["client-1", createClient(config) as ActorDefinition<unknown>],
    ];
    for (const [address, definition] of definitions) {
      const probe = new ActorProbe(definition, address);
      for (const c of everyType) for (const viewNum of [0, 1, 2, 99]) probe.deliver(c.from, c.body, viewNum);
    }
  });
});
