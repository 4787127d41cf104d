// The broker's form of pb's cluster invariant (DESIGN §9): nodes in separate
// processes publish (point, digest); two at one point must agree.
import { describe, expect, it } from "vitest";
import { AgreementChecker, describeDisagreement } from "../../src/broker/agreement.js";
import { emptyApp } from "../../src/kv/atMostOnce.js";
import type { ServerState } from "../../src/protocols/pb/server.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent } from "../../src/schemas/clusterEvents.js";

const agreement = protocolNamed("pb").agreement!;

function server(role: ServerState["role"], applied: number, store: [string, string][]): ServerState {
  return {
    incarnation: 1,
    view: { viewNum: 3, primary: "server-1", backup: "server-2" },
    role,
    ackedViewNum: 3,
    app: { ...emptyApp(), applied, store: new Map(store) },
    transferAcked: true,
    backupIncarnation: 2,
    outgoing: null,
    incoming: null,
    pending: [],
    inFlightEnds: [],
    sentUpTo: applied,
    sentUpToLastTick: applied,
    buffered: new Map(),
  };
}

function event(node: string, state: ServerState): Extract<ClusterEvent, { type: "agreement" }> {
  const point = agreement.pointOf("server", state);
  if (point === null) throw new Error("no point");
  return {
    v: 1,
    cluster: "c",
    at: 0,
    node,
    type: "agreement",
    name: agreement.name,
    point,
    digest: agreement.digestOf("server", state),
  };
}

describe("pb's state agreement", () => {
  it("places primary and backup by view and log position; idle servers and the view server have no point", () => {
    expect(agreement.pointOf("server", server("primary", 7, []))).toBe("view 3 applied 7");
    expect(agreement.pointOf("server", server("idle", 7, []))).toBeNull();
    expect(agreement.pointOf("viewserver", {})).toBeNull();
  });

  it("digests the store whatever the order its keys came in, and tells different stores apart", () => {
    const a = server("primary", 2, [
      ["x", "1"],
      ["y", "2"],
    ]);
    const b = server("backup", 2, [
      ["y", "2"],
      ["x", "1"],
    ]);
    const c = server("backup", 2, [
      ["x", "1"],
      ["y", "3"],
    ]);
    expect(agreement.digestOf("server", a)).toBe(agreement.digestOf("server", b));
    expect(agreement.digestOf("server", c)).not.toBe(agreement.digestOf("server", a));
  });

  it("sees a value written after a digest was taken (its cache follows the store)", () => {
    const primary = server("primary", 2, [["x", "1"]]);
    const before = agreement.digestOf("server", primary);
    primary.app!.store.set("x", "1+");
    expect(agreement.digestOf("server", primary)).not.toBe(before);
  });

  it("the checker reports two nodes that reached one point with different stores, and counts agreeing ones", () => {
    const checker = new AgreementChecker();
    expect(checker.check(event("server-1", server("primary", 4, [["k", "a"]])))).toBeNull();
    expect(checker.check(event("server-2", server("backup", 4, [["k", "a"]])))).toBeNull();
    const broken = checker.check(event("server-3", server("backup", 4, [["k", "EVIL"]])));
    expect(broken).not.toBeNull();
    expect(describeDisagreement(broken!)).toMatch(
      /^backupConsistent broken at view 3 applied 4: server-1 held .* server-3 holds /,
    );
    expect(checker.compared).toBe(2);
    expect(checker.disagreements).toHaveLength(1);
  });
});
