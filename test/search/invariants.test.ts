// The invariants the model checker holds the protocol to (issue 5 §2), on
// hand-made states: view rules, one primary answering per view, and the
// backup never holding an operation its primary does not know.
import { describe, expect, it } from "vitest";
import type { ServerState } from "../../src/protocols/pb/server.js";
import { emptyApp } from "../../src/kv/atMostOnce.js";
import type { ViewServerState } from "../../src/protocols/pb/viewServer.js";
import type { Envelope } from "../../src/schemas/envelope.js";
import type { MessageBody } from "../../src/protocols/pb/messages.js";
import { expectedResults } from "../../src/search/invariants.js";
import { checkAckRule, checkAckSource, checkViewChange } from "../../src/protocols/pb/search/stepRules.js";
import { checkBackupConsistency } from "../../src/protocols/pb/invariants.js";
import { recordServed } from "../../src/sim/served.js";

const view = (viewNum: number, primary: string | null, backup: string | null) => ({
  viewNum,
  primary,
  backup,
});

function server(
  applied: number,
  store: [string, string][],
  pending: ServerState["pending"] = [],
): ServerState {
  return {
    incarnation: 1,
    view: view(2, "server-1", "server-2"),
    role: "primary",
    ackedViewNum: 2,
    // client-1's session 1 is open (forwarded entries name it).
    app: {
      ...emptyApp(),
      applied,
      store: new Map(store),
      lastByClient: new Map([["client-1", { id: 1, seq: 0, refused: false, answer: "", activeMs: 0 }]]),
    },
    transferAcked: true,
    backupIncarnation: 1,
    outgoing: null,
    incoming: null,
    pending,
    inFlightEnds: [],
    sentUpTo: applied + pending.length,
    sentUpToLastTick: applied + pending.length,
    buffered: new Map(),
  };
}

function viewServer(current: ReturnType<typeof view>, primaryAcked: boolean): ViewServerState {
  return { view: current, primaryAcked, primaryIncarnation: 7, backupIncarnation: 8, servers: new Map() };
}

function envelope(from: string, body: MessageBody): Envelope<MessageBody> {
  return { v: 1, id: "1", from, to: "viewserver", viewNum: 3, sentAt: 0, body };
}

describe("search invariants", () => {
  it("ack rule: out of an unacknowledged view only the backup may be replaced, the primary's process kept", () => {
    const before = viewServer(view(3, "server-1", "server-2"), false);
    const after = (primaryIncarnation: number): ViewServerState => ({ ...before, primaryIncarnation });
    expect(checkAckRule(before, view(4, "server-1", "server-3"), after(7), undefined)).toBeNull();
    expect(checkAckRule(before, view(4, "server-1", null), after(7), undefined)).toBeNull();
    expect(checkAckRule(before, view(4, "server-2", "server-3"), after(8), undefined)).toMatch(
      /before its primary acknowledged it/,
    );
    // Another process under the primary's name is not "the primary stays".
    expect(checkAckRule(before, view(4, "server-1", "server-3"), after(9), undefined)).not.toBeNull();
    // The acknowledging ping handled in the same step, or an acknowledged view: any change.
    const ack = envelope("server-1", { type: "Ping", viewNum: 3, incarnation: 7 });
    expect(checkAckRule(before, view(4, "server-2", "server-3"), after(8), ack)).toBeNull();
    const acked = viewServer(view(3, "server-1", "server-2"), true);
    expect(checkAckRule(acked, view(4, "server-2", "server-3"), after(8), undefined)).toBeNull();
  });

  it("a new view number comes with a new primary or backup", () => {
    expect(checkViewChange(view(1, "server-1", null), view(2, "server-1", null))).toMatch(/bumped only/);
  });

  it("paired acks: a primary applies operations only on acks from the backup process it transferred to", () => {
    const before = server(
      1,
      [["a", "x"]],
      [
        {
          type: "op",
          client: "client-1",
          session: 1,
          seq: 2,
          op: { f: "put", key: "a", value: "y" },
          atMs: 0,
        },
      ],
    );
    const after = server(2, [["a", "y"]]);
    const ack = (incarnation: number): Envelope => ({
      ...envelope("server-2", { type: "ForwardAck", index: 2, incarnation }),
      to: "server-1",
    });
    expect(checkAckSource(before, after, ack(1))).toBeNull();
    expect(checkAckSource(before, after, ack(2))).toMatch(
      /not the backup process that confirmed its transfer/,
    );
    // An ack that applied nothing is harmless.
    expect(checkAckSource(before, before, ack(2))).toBeNull();
  });

  it("view rules: numbers grow by one, a primary from the previous view, distinct from the backup", () => {
    expect(checkViewChange(view(0, null, null), view(1, "server-1", null))).toBeNull();
    expect(checkViewChange(view(1, "server-1", null), view(2, "server-1", "server-2"))).toBeNull();
    expect(checkViewChange(view(2, "server-1", "server-2"), view(3, "server-2", "server-3"))).toBeNull();
    expect(checkViewChange(view(2, "server-1", "server-2"), view(4, "server-2", null))).toMatch(
      /grow by one/,
    );
    expect(checkViewChange(view(2, "server-1", "server-2"), view(3, "server-3", null))).toMatch(
      /neither primary nor backup/,
    );
    expect(checkViewChange(view(1, "server-1", null), view(2, null, null))).toMatch(/needs a primary/);
    expect(checkViewChange(view(1, "server-1", null), view(2, "server-1", "server-1"))).toMatch(
      /must differ/,
    );
  });

  it("one primary answers per view", () => {
    const first = recordServed([], 3, 1);
    expect(first).toEqual({ served: [3, 1] });
    if (!("served" in first)) throw new Error("unreachable");
    expect(recordServed(first.served, 3, 1)).toEqual({ served: first.served });
    expect(recordServed(first.served, 2, 2)).toEqual({ served: [2, 2, 3, 1] });
    expect(recordServed(first.served, 3, 2)).toEqual({ otherNode: 1 });
  });

  it("the backup is between the primary's applied and applied + pending, with the matching store", () => {
    const entry = {
      type: "op" as const,
      client: "client-1",
      session: 1,
      seq: 1,
      op: { f: "append" as const, key: "a", value: "x" },
      atMs: 0,
    };
    const primary = server(1, [["a", "0"]], [entry]);
    expect(checkBackupConsistency(primary, server(1, [["a", "0"]]))).toBeNull();
    expect(checkBackupConsistency(primary, server(2, [["a", "0x"]]))).toBeNull();
    expect(checkBackupConsistency(primary, server(0, []))).toMatch(/fewer than the primary/);
    expect(checkBackupConsistency(primary, server(3, [["a", "0x"]]))).toMatch(
      /knows only 1 applied \+ 1 pending/,
    );
    expect(checkBackupConsistency(primary, server(2, [["a", "0"]]))).toMatch(/not the primary's/);
  });

  it("a client alone on its keys gets what its own operations imply (an append: the new length)", () => {
    expect(
      expectedResults([
        { f: "get", key: "a" },
        { f: "append", key: "a", value: "x" },
        { f: "append", key: "a", value: "y" },
        { f: "get", key: "a" },
      ]),
    ).toEqual(["", "1", "2", "xy"]);
  });
});
