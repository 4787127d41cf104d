// pb's part of chaos runs (src/protocols/pb/parts/chaos.ts): the garbage
// campaign's hostile messages must be well-formed (the node must refuse them
// by protocol, not reject them at the boundary), its invalid bodies must be
// refused by pb's schema, and the observer reads pings and views through it.
import { describe, expect, it } from "vitest";
import type { HostileMessage } from "../../src/protocols/chaosSupport.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { Random } from "../../src/sim/random.js";

const pb = protocolNamed("pb");
const nodes = pb.layout(3);
const view = { viewNum: 4, primary: "server-2", backup: "server-3" };

function onWire(message: HostileMessage): unknown {
  const { from, to, viewNum, body } = message;
  return { v: 1, id: "garbage-1", from, to, viewNum, sentAt: 0, body };
}

describe("pb's hostile messages", () => {
  it("are well-formed envelopes for their node, to nodes and to clients alike", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const input = {
        marker: "garbage-1",
        nodes,
        view: seed % 2 === 0 ? view : null,
        random: new Random(seed),
      };
      const messages = [...pb.chaos.hostileToNodes(input), pb.chaos.hostileToClient(input, "client-abc")];
      for (const message of messages) {
        const parsed = pb.envelope.safeParse(onWire(message));
        expect(parsed.success, `${message.kind}: ${parsed.error?.message ?? ""}`).toBe(true);
        expect(pb.roleOf(message.to), message.kind).not.toBeNull();
      }
    }
  });

  it("are aimed at the cluster's servers and its view server", () => {
    const input = { marker: "m", nodes, view, random: new Random(3) };
    const targets = new Set(pb.chaos.hostileToNodes(input).map((message) => pb.roleOf(message.to)));
    expect([...targets].sort()).toEqual(["server", "viewserver"]);
  });

  it("draw the same for the same seed", () => {
    const draw = (): HostileMessage[] =>
      pb.chaos.hostileToNodes({ marker: "m", nodes, view, random: new Random(9) });
    expect(draw()).toEqual(draw());
  });
});

describe("pb's invalid bodies", () => {
  it("are refused by pb's message schema; the harmless body is not", () => {
    for (const invalid of pb.chaos.invalidBodies("m")) {
      expect(pb.messages.safeParse(invalid.body()).success, invalid.kind).toBe(false);
    }
    expect(pb.messages.safeParse(pb.chaos.harmlessBody).success).toBe(true);
  });
});

describe("pb's watch", () => {
  it("reads a ping as a heartbeat and nothing else", () => {
    expect(pb.chaos.watch.heartbeat({ type: "Ping", viewNum: 3, incarnation: 7 } as never)).toEqual({
      viewNum: 3,
      incarnation: 7,
    });
    expect(pb.chaos.watch.heartbeat({ type: "GetView" })).toBeNull();
    expect(pb.chaos.watch.tapped).toEqual(["viewserver"]);
  });

  it("reads the view and its primary's incarnation from a view reply", () => {
    const reply = { type: "ViewReply", view, primaryIncarnation: 5 };
    expect(pb.chaos.watch.report(reply)).toEqual({ view, primaryIncarnation: 5 });
    expect(pb.chaos.watch.report({ type: "Reply" })).toBeNull();
  });

  it("cuts the primary off from the view server, when there is one", () => {
    expect(pb.chaos.partition(view)).toEqual({ isolated: "server-2", from: ["viewserver"] });
    expect(pb.chaos.partition({ viewNum: 0, primary: null, backup: null })).toBeNull();
    expect(pb.chaos.nodeName("viewserver")).toBe("the view server");
    expect(pb.chaos.nodeName("server-2")).toBe("server-2");
  });
});
