// The benchmark's ceiling actors: the relay primary forwards each request to
// the relay backup and answers the client when the echo comes back; nothing
// else (no view, no state). Driven by hand one message at a time.
import { describe, expect, it } from "vitest";
import { relayDefinitionFor } from "../../src/bench/relayActors.js";
import {
  createRelayBackup,
  createRelayPrimary,
  createRelayViewServer,
  relayView,
  relayWaitingMax,
} from "../../src/protocols/pb/relayActors.js";
import type { Op } from "../../src/schemas/op.js";
import { ActorProbe } from "../support/actorProbe.js";

const get: Op = { f: "get", key: "k1" };
const put: Op = { f: "put", key: "k2", value: "v" };

describe("relay actors", () => {
  it("the relay primary forwards a request as a one-entry Forward and replies on its echo", () => {
    const primary = new ActorProbe(createRelayPrimary(), "server-1");
    primary.deliver("client-a", { type: "Request", session: 1, seq: 1, op: get }, 1);
    primary.deliver("client-b", { type: "Request", session: 1, seq: 7, op: put }, 1);
    expect(primary.takeSent()).toEqual([
      {
        to: "server-2",
        viewNum: 1,
        body: {
          type: "Forward",
          firstIndex: 1,
          entries: [{ type: "op", client: "client-a", session: 1, seq: 1, op: get, atMs: 0 }],
        },
      },
      {
        to: "server-2",
        viewNum: 1,
        body: {
          type: "Forward",
          firstIndex: 2,
          entries: [{ type: "op", client: "client-b", session: 1, seq: 7, op: put, atMs: 0 }],
        },
      },
    ]);
    // Echoes may come back in any order; each answers its own client once.
    primary.deliver("server-2", { type: "ForwardAck", index: 2 }, 1);
    primary.deliver("server-2", { type: "ForwardAck", index: 2 }, 1);
    primary.deliver("server-2", { type: "ForwardAck", index: 1 }, 1);
    expect(primary.takeSent()).toEqual([
      { to: "client-b", viewNum: 1, body: { type: "Reply", seq: 7, result: { ok: true, value: "" } } },
      { to: "client-a", viewNum: 1, body: { type: "Reply", seq: 1, result: { ok: true, value: "" } } },
    ]);
    expect(primary.state.waiting.size).toBe(0);
    expect(primary.state.relayingByClient.size).toBe(0);
  });

  it("a client's retry of a request on its way is not relayed twice; its next request is", () => {
    const primary = new ActorProbe(createRelayPrimary(), "server-1");
    primary.deliver("client-a", { type: "Request", session: 1, seq: 1, op: get }, 1);
    primary.deliver("client-a", { type: "Request", session: 1, seq: 1, op: get }, 1);
    expect(primary.sentOfType("Forward")).toHaveLength(1);
    primary.deliver("server-2", { type: "ForwardAck", index: 1 }, 1);
    primary.deliver("client-a", { type: "Request", session: 1, seq: 2, op: put }, 1);
    expect(primary.sentOfType("Forward").map((sent) => sent.body.firstIndex)).toEqual([1, 2]);
  });

  it("the waiting list is bounded: the oldest request is forgotten", () => {
    const primary = new ActorProbe(createRelayPrimary(), "server-1");
    for (let index = 0; index <= relayWaitingMax; index++) {
      primary.deliver(`client-${index}`, { type: "Request", session: 1, seq: 1, op: get }, 1);
    }
    expect(primary.state.waiting.size).toBe(relayWaitingMax);
    expect(primary.state.waiting.has(1)).toBe(false);
    primary.takeSent();
    primary.deliver("server-2", { type: "ForwardAck", index: 1 }, 1);
    expect(primary.takeSent()).toEqual([]);
  });

  it("the relay primary ignores requests from non-clients and other message types", () => {
    const primary = new ActorProbe(createRelayPrimary(), "server-1");
    primary.deliver("server-3", { type: "Request", session: 1, seq: 1, op: get }, 1);
    primary.deliver("client-a", { type: "GetView" }, 1);
    expect(primary.takeSent()).toEqual([]);
  });

  it("the relay backup echoes the last index of every Forward to its sender", () => {
    const backup = new ActorProbe(createRelayBackup(), "server-2");
    backup.deliver(
      "server-1",
      {
        type: "Forward",
        firstIndex: 5,
        entries: [
          { type: "op", client: "client-a", session: 1, seq: 1, op: get, atMs: 0 },
          { type: "op", client: "client-b", session: 1, seq: 1, op: put, atMs: 0 },
        ],
      },
      1,
    );
    expect(backup.takeSent()).toEqual([
      { to: "server-1", viewNum: 1, body: { type: "ForwardAck", index: 6 } },
    ]);
  });

  it("the relay view server answers GetView with the one fixed view", () => {
    const viewServer = new ActorProbe(createRelayViewServer(), "viewserver");
    viewServer.deliver("client-a", { type: "GetView" });
    expect(viewServer.takeSent()).toEqual([
      {
        to: "client-a",
        viewNum: 1,
        body: { type: "ViewReply", view: relayView, primaryIncarnation: null },
      },
    ]);
  });

  it("relayDefinitionFor maps the relay view's addresses to their actors", () => {
    const ctx = new ActorProbe(createRelayViewServer(), "viewserver").ctx;
    const describeAt = (address: string): string | undefined => {
      const definition = relayDefinitionFor(address);
      return definition?.describe(definition.init(ctx));
    };
    expect(describeAt("viewserver")).toMatch(/relay view server/);
    expect(describeAt("server-1")).toMatch(/relay primary/);
    expect(describeAt("server-2")).toMatch(/relay backup/);
    expect(relayDefinitionFor("server-3")).toBeNull();
  });
});
