// Client sessions (DESIGN §4.1, issue 14): the primary opens and forgets
// sessions through the log, stamped with its clock; the backup forgets the
// same ones by those stamps whatever its own clock says; a request of a
// forgotten session is answered SessionExpired, never run; the client opens
// a session before its first operation and reports SessionExpired as unknown.
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/protocols/pb/client.js";
import { makeConfig } from "../../src/protocols/pb/config.js";
import { createServer, type ServerState } from "../../src/protocols/pb/server.js";
import type { View } from "../../src/schemas/view.js";
import { ActorProbe } from "../support/actorProbe.js";

const config = makeConfig({ sessionExpiryMs: 1_000 });
/** floor(0.5 × 2³²): the incarnation the probe's random() gives. */
const incarnation = 2 ** 31;
const view2: View = { viewNum: 2, primary: "server-1", backup: "server-2" };

function viewReply(view: View, primaryIncarnation: number | null = incarnation) {
  return { type: "ViewReply" as const, view, primaryIncarnation, pingIncarnation: incarnation };
}

/** server-1, primary of view 2 with backup server-2 installed; its clock at `nowMs`. */
function primaryAt(nowMs: number): ActorProbe<ServerState> {
  const server = new ActorProbe(createServer(config), "server-1");
  server.deliver("viewserver", viewReply({ viewNum: 1, primary: "server-1", backup: null }));
  server.deliver("viewserver", viewReply(view2));
  server.deliver(
    "server-2",
    { type: "StateTransferAck", applied: 0, received: 1, installed: true, incarnation },
    2,
  );
  server.advanceMs(nowMs);
  server.takeSent();
  return server;
}

/** server-2, backup of view 2 with an empty state installed; its own clock stays at 0. */
function backup(): ActorProbe<ServerState> {
  const server = new ActorProbe(createServer(config), "server-2");
  server.deliver("viewserver", viewReply(view2, 7));
  const chunk = { applied: 0, timeMs: 0, chunk: 0, last: true, kv: [], lastByClient: [] };
  server.deliver("server-1", { type: "StateTransfer", ...chunk }, 2);
  server.takeSent();
  return server;
}

/** Hands every Forward the primary sent to the backup, and the backup's acks back. */
function replicate(primary: ActorProbe<ServerState>, backupProbe: ActorProbe<ServerState>): void {
  for (const forward of primary.sentOfType("Forward")) backupProbe.deliver("server-1", forward.body, 2);
  primary.sent = primary.sent.filter((sent) => sent.body.type !== "Forward");
  for (const ack of backupProbe.sentOfType("ForwardAck")) primary.deliver("server-2", ack.body, 2);
  backupProbe.takeSent();
}

describe("sessions on the servers", () => {
  it("opens a session through the log, stamped with the primary's clock, the same on the backup", () => {
    const primary = primaryAt(500);
    const backupProbe = backup();
    primary.deliver("client-a", { type: "RegisterClient", seq: 1 }, 2);
    expect(primary.sentOfType("RegisterReply")).toEqual([]); // not before the backup holds it
    expect(primary.sentOfType("Forward")[0]!.body.entries).toEqual([
      { type: "register", client: "client-a", seq: 1, atMs: 500 },
    ]);
    replicate(primary, backupProbe);
    expect(primary.sentOfType("RegisterReply").map((sent) => sent.body)).toEqual([
      { type: "RegisterReply", seq: 1, result: { ok: true, session: 1 } },
    ]);
    expect([...backupProbe.state.app!.lastByClient]).toEqual([...primary.state.app!.lastByClient]);
    expect(primary.state.app!.lastByClient.get("client-a")).toEqual({
      id: 1,
      seq: 0,
      refused: false,
      answer: "",
      activeMs: 500,
    });
  });

  it("answers SessionExpired to a request of a session it does not hold, and runs nothing", () => {
    const primary = primaryAt(0);
    primary.deliver(
      "client-a",
      { type: "Request", session: 1, seq: 1, op: { f: "put", key: "x", value: "1" } },
      2,
    );
    expect(primary.sentOfType("Reply").map((sent) => sent.body.result)).toEqual([
      { ok: false, error: "SessionExpired" },
    ]);
    expect(primary.sentOfType("Forward")).toEqual([]);
    expect(primary.state.app!.store.size).toBe(0);
  });

  it("forgets a session idle past the expiry by a logged entry; the backup forgets it too, on the primary's time", () => {
    const primary = primaryAt(0);
    const backupProbe = backup();
    primary.deliver("client-a", { type: "RegisterClient", seq: 1 }, 2);
    replicate(primary, backupProbe);
    primary.advanceMs(config.sessionExpiryMs).fire({ type: "PingTimer" }); // idle 1001 ms: within the slack
    expect(primary.sentOfType("Forward")).toEqual([]);
    primary.advanceMs(63).fire({ type: "PingTimer" }); // idle 1065 ms: past the expiry and its sixteenth
    const entries = primary.sentOfType("Forward").flatMap((sent) => sent.body.entries);
    expect(entries).toEqual([{ type: "expire", beforeMs: 65, atMs: 1_065 }]);
    replicate(primary, backupProbe);
    expect(primary.state.app!.lastByClient.size).toBe(0);
    expect(backupProbe.state.app!.lastByClient.size).toBe(0); // its own clock still reads 0
    primary.deliver("client-a", { type: "Request", session: 1, seq: 1, op: { f: "get", key: "x" } }, 2);
    expect(primary.sentOfType("Reply").at(-1)!.body.result).toEqual({ ok: false, error: "SessionExpired" });
  });

  it("keeps a session active within the expiry, and logs no expire entry for it", () => {
    const primary = primaryAt(0);
    const backupProbe = backup();
    primary.deliver("client-a", { type: "RegisterClient", seq: 1 }, 2);
    replicate(primary, backupProbe);
    primary.advanceMs(900);
    primary.deliver("client-a", { type: "Request", session: 1, seq: 1, op: { f: "get", key: "x" } }, 2);
    replicate(primary, backupProbe);
    primary.advanceMs(900).fire({ type: "PingTimer" });
    expect(primary.sentOfType("Forward")).toEqual([]);
    expect(primary.state.app!.lastByClient.get("client-a")!.activeMs).toBe(900);
  });

  it("a promoted backup never stamps a time before the last one it applied", () => {
    const primary = primaryAt(5_000);
    const backupProbe = backup();
    primary.deliver("client-a", { type: "RegisterClient", seq: 1 }, 2);
    replicate(primary, backupProbe);
    // server-2's clock reads 0: behind the stamps it applied.
    backupProbe.deliver("viewserver", viewReply({ viewNum: 3, primary: "server-2", backup: "server-3" }));
    backupProbe.takeSent();
    backupProbe.deliver("client-b", { type: "RegisterClient", seq: 1 }, 3);
    const entries = backupProbe.sentOfType("Forward").flatMap((sent) => sent.body.entries);
    expect(entries).toEqual([{ type: "register", client: "client-b", seq: 1, atMs: 5_000 }]);
  });
});

describe("sessions on the client", () => {
  const view = { viewNum: 2, primary: "server-1", backup: "server-2" };

  function clientWithView() {
    const definition = createClient(config);
    const client = new ActorProbe(definition, "client-a");
    client.deliver("viewserver", { type: "ViewReply", view, primaryIncarnation: 1 });
    return { definition, client };
  }

  it("opens a session before its first operation, then sends the request in it", () => {
    const { definition, client } = clientWithView();
    definition.invoke(client.state, { f: "get", key: "x" }, client.ctx);
    expect(client.takeSent().map((sent) => sent.body)).toEqual([{ type: "RegisterClient", seq: 1 }]);
    client.deliver("server-1", { type: "RegisterReply", seq: 1, result: { ok: true, session: 4 } }, 2);
    expect(client.takeSent().map((sent) => sent.body)).toEqual([
      { type: "Request", session: 4, seq: 1, op: { f: "get", key: "x" } },
    ]);
  });

  it("reports SessionExpired as the operation's outcome (unknown) and opens a new session for the next", () => {
    const { definition, client } = clientWithView();
    definition.invoke(client.state, { f: "put", key: "x", value: "1" }, client.ctx);
    client.deliver("server-1", { type: "RegisterReply", seq: 1, result: { ok: true, session: 4 } }, 2);
    client.deliver("server-1", { type: "Reply", seq: 1, result: { ok: false, error: "SessionExpired" } }, 2);
    expect(client.events).toEqual([
      { type: "result", seq: 1, op: { f: "put", key: "x", value: "1" }, value: "", error: "SessionExpired" },
    ]);
    expect(client.state.current).toBeNull();
    client.takeSent();
    definition.invoke(client.state, { f: "get", key: "x" }, client.ctx);
    expect(client.takeSent().map((sent) => sent.body)).toEqual([{ type: "RegisterClient", seq: 2 }]);
  });

  it("opens its session again before sending when idle for half the expiry", () => {
    const { definition, client } = clientWithView();
    definition.invoke(client.state, { f: "get", key: "x" }, client.ctx);
    client.deliver("server-1", { type: "RegisterReply", seq: 1, result: { ok: true, session: 4 } }, 2);
    client.deliver("server-1", { type: "Reply", seq: 1, result: { ok: true, value: "" } }, 2);
    client.takeSent();
    client.advanceMs(config.sessionExpiryMs / 2 - 1);
    definition.invoke(client.state, { f: "get", key: "x" }, client.ctx);
    expect(client.takeSent().map((sent) => sent.body.type)).toEqual(["Request"]);
    client.deliver("server-1", { type: "Reply", seq: 2, result: { ok: true, value: "" } }, 2);
    client.advanceMs(config.sessionExpiryMs / 2);
    definition.invoke(client.state, { f: "get", key: "x" }, client.ctx);
    expect(client.takeSent().map((sent) => sent.body.type)).toEqual(["RegisterClient"]);
  });
});
