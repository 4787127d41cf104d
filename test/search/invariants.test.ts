// The invariants the model checker holds the protocol to (issue 5 §2), on
// hand-made states: view rules, one primary answering per view, and the
// backup never holding an operation its primary does not know.
import { describe, expect, it } from "vitest";
import type { ServerState } from "../../src/actors/server.js";
import { emptyApp } from "../../src/kv/atMostOnce.js";
import {
  checkBackupConsistency,
  checkViewChange,
  expectedResults,
  recordServed,
} from "../../src/search/invariants.js";

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
    app: { ...emptyApp(), applied, store: new Map(store) },
    transferAcked: true,
    backupIncarnation: 1,
    outgoing: null,
    incoming: null,
    pending,
    inFlightEnds: [],
    sentUpTo: applied + pending.length,
    buffered: new Map(),
  };
}

describe("search invariants", () => {
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
    const entry = { client: "client-1", seq: 1, op: { f: "append" as const, key: "a", value: "x" } };
    const primary = server(1, [["a", "0"]], [entry]);
    expect(checkBackupConsistency(primary, server(1, [["a", "0"]]))).toBeNull();
    expect(checkBackupConsistency(primary, server(2, [["a", "0x"]]))).toBeNull();
    expect(checkBackupConsistency(primary, server(0, []))).toMatch(/fewer than the primary/);
    expect(checkBackupConsistency(primary, server(3, [["a", "0x"]]))).toMatch(
      /knows only 1 applied \+ 1 pending/,
    );
    expect(checkBackupConsistency(primary, server(2, [["a", "0"]]))).toMatch(/not the primary's/);
  });

  it("a client alone on its keys gets what its own operations imply", () => {
    expect(
      expectedResults([
        { f: "get", key: "a" },
        { f: "append", key: "a", value: "x" },
        { f: "append", key: "a", value: "y" },
        { f: "get", key: "a" },
      ]),
    ).toEqual(["", "", "", "xy"]);
  });
});
