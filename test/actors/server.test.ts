// The server's rules (DESIGN §1), driven by hand one message at a time.
import { describe, expect, it } from "vitest";
import { makeConfig } from "../../src/protocols/pb/config.js";
import { createServer, type ServerState } from "../../src/protocols/pb/server.js";
import type { Op } from "../../src/schemas/op.js";
import type { Session } from "../../src/kv/atMostOnce.js";
import type { View } from "../../src/schemas/view.js";
import type { MessageBody } from "../../src/protocols/pb/messages.js";
import type { Timer } from "../../src/protocols/pb/timers.js";
import { ActorProbe } from "../support/actorProbe.js";

const config = makeConfig();
/** floor(0.5 × 2³²): the incarnation the probe's random() gives. */
const incarnation = 2 ** 31;
const put = (key: string, value: string): Op => ({ f: "put", key, value });

/** The view server's answer to this server's own ping. */
function viewReply(view: View, primaryIncarnation: number | null = incarnation) {
  return { type: "ViewReply" as const, view, primaryIncarnation, pingIncarnation: incarnation };
}

/** server-1 as the ready primary of view 2 = (server-1, server-2), client-a's session 1 at position 1, x=1 at 2. */
function readyPrimary(): ActorProbe<ServerState, MessageBody, Timer> {
  const server = new ActorProbe(createServer(config), "server-1");
  server.deliver("viewserver", viewReply({ viewNum: 1, primary: "server-1", backup: null }));
  server.deliver("client-a", { type: "RegisterClient", seq: 1 }, 1); // session 1
  server.deliver("client-a", { type: "Request", session: 1, seq: 1, op: put("x", "1") }, 1);
  server.deliver("viewserver", viewReply({ viewNum: 2, primary: "server-1", backup: "server-2" }));
  server.deliver(
    "server-2",
    { type: "StateTransferAck", applied: 2, received: 1, installed: true, incarnation: 99 },
    2,
  );
  server.takeSent();
  return server;
}

/** server-2 as the backup of view 2 = (server-1, server-2), holding x=1. */
function installedBackup(): ActorProbe<ServerState, MessageBody, Timer> {
  const server = new ActorProbe(createServer(config), "server-2");
  server.deliver("viewserver", viewReply({ viewNum: 2, primary: "server-1", backup: "server-2" }, 7));
  const chunk = {
    applied: 1,
    timeMs: 0,
    chunk: 0,
    last: true,
    kv: [["x", "1"]] as [string, string][],
    lastByClient: [["client-a", { id: 1, seq: 1, refused: false, answer: "", activeMs: 0 }]] as [
      string,
      Session,
    ][],
  };
  server.deliver("server-1", { type: "StateTransfer", ...chunk }, 2);
  server.takeSent();
  return server;
}

describe("server", () => {
  it("starts idle with no state and pings 0 at once", () => {
    const server = new ActorProbe(createServer(config), "server-1");
    expect(server.state.role).toBe("idle");
    expect(server.state.app).toBeNull();
    expect(server.sent).toEqual([
      { to: "viewserver", viewNum: 0, body: { type: "Ping", viewNum: 0, incarnation } },
    ]);
  });

  it("starts from an empty store only as the first primary ever (view 1, its own incarnation)", () => {
    const first = new ActorProbe(createServer(config), "server-1");
    first.deliver("viewserver", viewReply({ viewNum: 1, primary: "server-1", backup: null }));
    expect(first.state.app).not.toBeNull();
    const restarted = new ActorProbe(createServer(config), "server-1");
    restarted.deliver("viewserver", viewReply({ viewNum: 1, primary: "server-1", backup: null }, 12345));
    expect(restarted.state.role).toBe("idle"); // an old view 1 read after a restart: not its role
    expect(restarted.state.app).toBeNull();
    restarted.deliver("client-a", { type: "Request", session: 1, seq: 1, op: { f: "get", key: "x" } }, 1);
    expect(restarted.sentOfType("Reply").map((s) => s.body.result)).toEqual([
      { ok: false, error: "NotPrimary" },
    ]);
  });

  it("takes its first view only from an answer to its own ping, and the primary role only as the chosen incarnation", () => {
    const restarted = new ActorProbe(createServer(config), "server-2");
    // Replies to its previous life (another incarnation) still in its queue are ignored.
    const backupView = { viewNum: 2, primary: "server-1", backup: "server-2" };
    restarted.deliver("viewserver", {
      type: "ViewReply",
      view: backupView,
      primaryIncarnation: 5,
      pingIncarnation: 6,
    });
    restarted.deliver("viewserver", { type: "ViewReply", view: backupView, primaryIncarnation: 5 });
    expect(restarted.state.view.viewNum).toBe(0);
    // Named primary, but the view server chose its previous life: it stays idle, without state.
    const promoted = { viewNum: 3, primary: "server-2", backup: "server-3" };
    restarted.deliver("viewserver", viewReply(promoted, 6));
    expect(restarted.state.role).toBe("idle");
    expect(restarted.state.app).toBeNull();
    restarted.takeSent();
    restarted.fire({ type: "PingTimer" });
    expect(restarted.sentOfType("Ping").map((s) => s.body.incarnation)).toEqual([incarnation]);
  });

  it("executes a client operation only after the backup acknowledged it", () => {
    const primary = readyPrimary();
    primary.deliver("client-a", { type: "Request", session: 1, seq: 2, op: put("x", "2") }, 2);
    expect(primary.sentOfType("Reply")).toEqual([]);
    expect(primary.sentOfType("Forward")).toEqual([
      {
        to: "server-2",
        viewNum: 2,
        body: {
          type: "Forward",
          firstIndex: 3,
          entries: [
            { type: "op" as const, client: "client-a", session: 1, seq: 2, op: put("x", "2"), atMs: 0 },
          ],
        },
      },
    ]);
    expect(primary.state.app!.store.get("x")).toBe("1");
    primary.takeSent();
    primary.deliver("server-2", { type: "ForwardAck", index: 3, incarnation: 99 }, 2);
    expect(primary.state.app!.store.get("x")).toBe("2");
    expect(primary.sentOfType("Reply")).toEqual([
      { to: "client-a", viewNum: 2, body: { type: "Reply", seq: 2, result: { ok: true, value: "" } } },
    ]);
  });

  it("resends a forward only once it stayed unacknowledged across a whole ping interval", () => {
    const primary = readyPrimary();
    primary.fire({ type: "PingTimer" }); // a tick with nothing in flight
    primary.deliver("client-a", { type: "Request", session: 1, seq: 2, op: put("x", "2") }, 2);
    expect(primary.sentOfType("Forward")).toHaveLength(1);
    primary.takeSent();
    // The tick right after the send: the forward went out a moment ago, no copy.
    primary.fire({ type: "PingTimer" });
    expect(primary.sentOfType("Forward")).toEqual([]);
    // A whole interval later it is still unacknowledged (lost, say): sent again.
    primary.fire({ type: "PingTimer" });
    expect(primary.sentOfType("Forward").map((sent) => sent.body.firstIndex)).toEqual([3]);
    primary.takeSent();
    // Acknowledged: the next ticks send nothing more.
    primary.deliver("server-2", { type: "ForwardAck", index: 3, incarnation: 99 }, 2);
    primary.fire({ type: "PingTimer" }).fire({ type: "PingTimer" });
    expect(primary.sentOfType("Forward")).toEqual([]);
  });

  it("ignores acks from anyone but the backup process of its view", () => {
    const primary = readyPrimary();
    primary.deliver("client-a", { type: "Request", session: 1, seq: 2, op: put("x", "2") }, 2);
    primary.deliver("server-3", { type: "ForwardAck", index: 3, incarnation: 99 }, 2);
    primary.deliver("server-2", { type: "ForwardAck", index: 3, incarnation: 99 }, 1);
    primary.deliver("server-2", { type: "ForwardAck", index: 3, incarnation: 100 }, 2); // restarted under the name
    primary.deliver("server-2", { type: "ForwardAck", index: 3 }, 2);
    expect(primary.state.app!.store.get("x")).toBe("1");
  });

  it("sends the whole state, at-most-once table included, to a new backup, serves through it meanwhile, and acks the view only once it is installed", () => {
    const server = new ActorProbe(createServer(config), "server-1");
    server.deliver("viewserver", viewReply({ viewNum: 1, primary: "server-1", backup: null }));
    server.advanceMs(5);
    server.deliver("client-a", { type: "RegisterClient", seq: 1 }, 1);
    server.deliver("client-a", { type: "Request", session: 1, seq: 1, op: put("x", "1") }, 1);
    server.takeSent();
    server.deliver("viewserver", viewReply({ viewNum: 2, primary: "server-1", backup: "server-2" }));
    expect(server.sentOfType("StateTransfer")).toEqual([
      {
        to: "server-2",
        viewNum: 2,
        body: {
          type: "StateTransfer",
          applied: 2,
          timeMs: 5,
          chunk: 0,
          last: true,
          kv: [["x", "1"]],
          lastByClient: [["client-a", { id: 1, seq: 1, refused: false, answer: "", activeMs: 5 }]],
        },
      },
    ]);
    server.takeSent();
    const ack = {
      type: "StateTransferAck" as const,
      applied: 2,
      received: 0,
      installed: false,
      incarnation: 99,
    };
    server.deliver("server-2", ack, 2); // the backup process names itself, nothing installed yet
    server.deliver("client-a", { type: "Request", session: 1, seq: 2, op: put("y", "1") }, 2);
    expect(server.sentOfType("Forward").map((s) => s.body.firstIndex)).toEqual([3]); // after the snapshot
    server.deliver("server-2", { type: "ForwardAck", index: 3, incarnation: 99 }, 2); // held by the backup
    expect(server.sentOfType("Reply").map((s) => s.body.result)).toEqual([{ ok: true, value: "" }]);
    server.fire({ type: "PingTimer" });
    expect(server.sentOfType("Ping").map((s) => s.body.viewNum)).toEqual([1]); // still acknowledging view 1
    server.takeSent();
    server.deliver("server-2", { ...ack, received: 1, installed: true }, 2);
    expect(server.sentOfType("Ping").map((s) => s.body.viewNum)).toEqual([2]);
  });

  it("as backup, accepts forwards only from the primary of its current view", () => {
    const backup = installedBackup();
    const forward = {
      type: "Forward" as const,
      firstIndex: 2,
      entries: [{ type: "op" as const, client: "client-a", session: 1, seq: 2, op: put("x", "2"), atMs: 0 }],
    };
    backup.deliver("server-3", forward, 2); // not the primary
    backup.deliver("server-1", forward, 1); // an older view
    backup.deliver("server-1", forward, 3); // a view it does not know yet
    expect(backup.state.app!.store.get("x")).toBe("1");
    expect(backup.sentOfType("ForwardReject")).toEqual([
      { to: "server-1", viewNum: 2, body: { type: "ForwardReject" } },
    ]);
    backup.deliver("server-1", forward, 2);
    expect(backup.state.app!.store.get("x")).toBe("2");
  });

  it("as backup, applies forwards in the primary's order even reordered and duplicated", () => {
    const backup = installedBackup();
    const entry = (seq: number, value: string) => ({
      type: "op" as const,
      client: "client-a",
      session: 1,
      seq,
      op: { f: "append" as const, key: "x", value },
      atMs: 0,
    });
    backup.deliver("server-1", { type: "Forward", firstIndex: 3, entries: [entry(3, "c")] }, 2);
    expect(backup.state.app!.store.get("x")).toBe("1");
    expect(backup.sentOfType("ForwardAck").map((s) => s.body.index)).toEqual([1]);
    backup.deliver("server-1", { type: "Forward", firstIndex: 2, entries: [entry(2, "b")] }, 2);
    backup.deliver(
      "server-1",
      { type: "Forward", firstIndex: 2, entries: [entry(2, "b"), entry(3, "c")] },
      2,
    );
    expect(backup.state.app!.store.get("x")).toBe("1bc");
    expect(backup.state.app!.applied).toBe(3);
  });

  it("as backup, applies a state transfer at most once per view", () => {
    const backup = installedBackup();
    backup.deliver(
      "server-1",
      {
        type: "Forward",
        firstIndex: 2,
        entries: [
          { type: "op" as const, client: "client-a", session: 1, seq: 2, op: put("x", "2"), atMs: 0 },
        ],
      },
      2,
    );
    const stale = {
      applied: 1,
      timeMs: 0,
      chunk: 0,
      last: true,
      kv: [["x", "1"]] as [string, string][],
      lastByClient: [],
    };
    backup.deliver("server-1", { type: "StateTransfer", ...stale }, 2); // a duplicate, late
    expect(backup.state.app!.store.get("x")).toBe("2");
    expect(backup.sentOfType("StateTransferAck").map((s) => s.body.applied)).toEqual([1]);
  });

  it("rejects client requests unless primary", () => {
    const backup = installedBackup();
    backup.deliver("client-a", { type: "Request", session: 1, seq: 5, op: put("x", "9") }, 2);
    const idle = new ActorProbe(createServer(config), "server-3");
    idle.deliver("client-a", { type: "Request", session: 1, seq: 5, op: put("x", "9") }, 2);
    for (const server of [backup, idle]) {
      expect(server.sentOfType("Reply").map((s) => s.body.result)).toEqual([
        { ok: false, error: "NotPrimary" },
      ]);
    }
    expect(backup.state.app!.store.get("x")).toBe("1");
  });

  it("answers a retried request from the at-most-once table without running it again", () => {
    const primary = readyPrimary();
    primary.deliver(
      "client-a",
      { type: "Request", session: 1, seq: 2, op: { f: "append", key: "x", value: "!" } },
      2,
    );
    primary.deliver(
      "client-a",
      { type: "Request", session: 1, seq: 2, op: { f: "append", key: "x", value: "!" } },
      2,
    ); // retry while in flight
    expect(primary.sentOfType("Forward")).toHaveLength(1);
    primary.deliver("server-2", { type: "ForwardAck", index: 3, incarnation: 99 }, 2);
    primary.deliver(
      "client-a",
      { type: "Request", session: 1, seq: 2, op: { f: "append", key: "x", value: "!" } },
      2,
    ); // retry after
    expect(primary.state.app!.store.get("x")).toBe("1!");
    expect(primary.sentOfType("Reply")).toHaveLength(2);
    expect(primary.sentOfType("Forward")).toHaveLength(1);
  });

  it("answers WrongView to a client that knows a newer view", () => {
    const primary = readyPrimary();
    primary.deliver("client-a", { type: "Request", session: 1, seq: 2, op: put("x", "2") }, 3);
    expect(primary.sentOfType("Reply").map((s) => s.body.result)).toEqual([
      { ok: false, error: "WrongView" },
    ]);
  });

  it("drops unacknowledged forwards when the view changes (their clients retry)", () => {
    const primary = readyPrimary();
    primary.deliver("client-a", { type: "Request", session: 1, seq: 2, op: put("x", "2") }, 2);
    primary.deliver("viewserver", viewReply({ viewNum: 3, primary: "server-1", backup: "server-3" }));
    expect(primary.state.pending).toEqual([]);
    expect(primary.state.app!.store.get("x")).toBe("1");
    expect(primary.sentOfType("StateTransfer").at(-1)!.to).toBe("server-3");
  });
});
