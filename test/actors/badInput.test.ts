// Bad input to each actor is refused without a state change (DESIGN §4):
// schema-invalid messages never reach an actor (drivers parse with zod and get
// a readable reason), and valid-but-wrong messages (wrong type for the role,
// stale or future views, senders that are not members) change nothing.
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/protocols/pb/client.js";
import { makeConfig } from "../../src/protocols/pb/config.js";
import type { ActorDefinition } from "../../src/actors/context.js";
import { createServer } from "../../src/protocols/pb/server.js";
import { createViewServer } from "../../src/protocols/pb/viewServer.js";
import { protocolNamed } from "../../src/protocols/registry.js";

const Envelope = protocolNamed("pb").envelope;
import { valueBytesMax } from "../../src/schemas/limits.js";
import type { MessageBody } from "../../src/protocols/pb/messages.js";
import { parseJsonWith } from "../../src/schemas/parse.js";
import { ActorProbe, snapshotState } from "../support/actorProbe.js";

const config = makeConfig();
const incarnation = 2 ** 31;
const view2 = { viewNum: 2, primary: "server-1", backup: "server-2" };
const snapshot = {
  applied: 0,
  timeMs: 0,
  chunk: 0,
  last: true,
  kv: [] as [string, string][],
  lastByClient: [],
};

interface Case {
  from: string;
  viewNum: number;
  body: MessageBody;
  why: string;
}

/** One input on one line: why it is there, who sends it, stamped with which view, and what. */
function input(why: string, from: string, viewNum: number, body: MessageBody): Case {
  return { from, viewNum, body, why };
}

const forwardAck = (index: number): MessageBody => ({ type: "ForwardAck", index, incarnation: 99 });
/** A view with only a primary, sent with a made-up primary incarnation. */
const viewReply = (viewNum: number, primary: string): MessageBody => ({
  type: "ViewReply",
  view: { viewNum, primary, backup: null },
  primaryIncarnation: 1,
});
/** A transfer that would overwrite key a if a backup took it. */
const evilTransfer: MessageBody = {
  type: "StateTransfer",
  applied: 5,
  timeMs: 0,
  chunk: 0,
  last: true,
  kv: [["a", "evil"]],
  lastByClient: [],
};

const everyType: Case[] = [
  input("ping", "server-9", 2, { type: "Ping", viewNum: 2, incarnation: 1 }),
  input("view reply", "viewserver", 2, { type: "ViewReply", view: view2, primaryIncarnation: 1 }),
  input("request", "client-x", 2, { type: "Request", session: 1, seq: 1, op: { f: "get", key: "a" } }),
  input("reply", "server-1", 2, { type: "Reply", seq: 1, result: { ok: true, value: "v" } }),
  input("register", "client-x", 2, { type: "RegisterClient", seq: 1 }),
  input("register reply", "server-1", 2, { type: "RegisterReply", seq: 1, result: { ok: true, session: 1 } }),
  input("forward", "server-1", 2, {
    type: "Forward",
    firstIndex: 1,
    entries: [
      { type: "op", client: "client-x", session: 1, seq: 1, op: { f: "put", key: "a", value: "b" }, atMs: 0 },
    ],
  }),
  input("forward ack", "server-2", 2, forwardAck(1)),
  input("forward reject", "server-2", 2, { type: "ForwardReject" }),
  input("state transfer", "server-1", 2, { type: "StateTransfer", ...snapshot }),
  input("state transfer ack", "server-2", 2, {
    type: "StateTransferAck",
    applied: 0,
    received: 1,
    installed: true,
    incarnation: 99,
  }),
];

/** An envelope's JSON: a valid GetView but for the fields given. */
function envelopeWith(fields: Record<string, unknown>): string {
  const valid = { v: 1, id: "1", from: "a", to: "b", viewNum: 0, sentAt: 0, body: { type: "GetView" } };
  return JSON.stringify({ ...valid, ...fields });
}

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
      envelopeWith({ viewNum: -1, body: { type: "Ping", viewNum: 0, incarnation: 0 } }),
      envelopeWith({ body: { type: "Explode" } }),
      envelopeWith({ from: "a b" }),
      envelopeWith({ body: { type: "Request", seq: "1", op: { f: "get", key: "k" } } }),
      envelopeWith({
        body: {
          type: "Request",
          session: 1,
          seq: 1,
          op: { f: "put", key: "k", value: "x".repeat(valueBytesMax + 1) },
        },
      }),
      // Within the limit in characters, over it as JSON (each control character takes six bytes).
      envelopeWith({
        body: {
          type: "Request",
          session: 1,
          seq: 1,
          op: { f: "put", key: "k", value: "\u0001".repeat(valueBytesMax / 2) },
        },
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
      input("ping from a client", "client-x", 0, { type: "Ping", viewNum: 1, incarnation: 1 }),
      input("ack of a future view", "server-1", 9, { type: "Ping", viewNum: 9, incarnation: 1 }),
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
    backup.deliver("server-1", { type: "StateTransfer", ...snapshot }, 2);
    const forward = everyType.find((c) => c.body.type === "Forward")!.body;
    expectUnchanged(backup, [
      ...everyType.filter((c) => !["Forward", "StateTransfer", "Request"].includes(c.body.type)),
      input("forward from an older view", "server-1", 1, forward),
      input("forward from a future view", "server-1", 3, forward),
      input("forward from a non-member", "server-3", 2, forward),
      input("forward from a client", "client-x", 2, forward),
      input("transfer from a non-member", "server-3", 2, evilTransfer),
      input("second transfer in the view", "server-1", 2, evilTransfer),
      input("request from a server", "server-1", 2, {
        type: "Request",
        session: 1,
        seq: 1,
        op: { f: "put", key: "a", value: "b" },
      }),
      input("view from an impostor", "someone", 2, viewReply(9, "server-2")),
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
    primary.deliver(
      "server-2",
      { type: "StateTransferAck", applied: 0, received: 1, installed: true, incarnation: 99 },
      2,
    );
    expectUnchanged(primary, [
      input("ack from a non-member", "server-3", 2, forwardAck(0)),
      input("ack from an old view", "server-2", 1, forwardAck(0)),
      input("ack for positions never sent", "server-2", 2, forwardAck(50)),
      input("transfer ack for another state", "server-2", 2, {
        type: "StateTransferAck",
        applied: 3,
        received: 1,
        installed: true,
        incarnation: 99,
      }),
      input("stale view", "viewserver", 1, viewReply(1, "server-3")),
      ...everyType.filter((c) => ["Ping", "Reply", "GetView"].includes(c.body.type)),
    ]);
  });

  it("a client ignores replies to other requests, replies from non-servers and stale views", () => {
    const definition = createClient(config);
    const client = new ActorProbe(definition, "client-1");
    client.deliver("viewserver", { type: "ViewReply", view: view2, primaryIncarnation: 1 });
    definition.invoke(client.state, { f: "get", key: "a" }, client.ctx);
    expectUnchanged(client, [
      input("reply to a request never sent", "server-1", 2, {
        type: "Reply",
        seq: 7,
        result: { ok: true, value: "x" },
      }),
      input("reply from a client", "client-9", 2, {
        type: "Reply",
        seq: 1,
        result: { ok: true, value: "x" },
      }),
      input("stale view", "viewserver", 1, viewReply(1, "server-3")),
      input("view from a non-view-server", "server-1", 2, viewReply(5, "server-3")),
      ...everyType.filter((c) => !["Reply", "RegisterReply", "ViewReply"].includes(c.body.type)),
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
