// Chain replication on the dashboard (issue 18): the master's views show the
// chain head first (with the spare joining as the next tail), each server's
// place in it (head, middle, tail, joining; a spare idle) and its own figures
// (place, Sent list length, stable: its answer to the `status`
// command); a view change says which member the master unlinked and why, and
// the cut button isolates the tail from the master. Pure: events fed by hand.
import { describe, expect, it } from "vitest";
import { DashboardModel } from "../../src/dashboard/model.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent, NodeStatus } from "../../src/schemas/clusterEvents.js";
import type { View } from "../../src/schemas/view.js";

const chain = protocolNamed("chain");
const t0 = 1_800_000_000_000;

function model(): DashboardModel {
  return new DashboardModel({
    protocol: chain,
    config: chain.config.defaults,
    cluster: "c",
    broker: "amqp://x",
    projectDirectory: "/p",
    tap: true,
    samplesPerSecond: 1_000,
  });
}

const chainView = (viewNum: number, members: string[], joining?: string): View => ({
  viewNum,
  primary: members[0] ?? null,
  backup: null,
  chain: members,
  ...(joining === undefined ? {} : { joining }),
});

const base = (node: string, at: number) => ({ v: 1 as const, cluster: "c", node, at });

function statusEvent(node: string, at: number, place: string, sent: number): ClusterEvent {
  const status: NodeStatus = {
    role: place === "head" ? "primary" : place === "spare" ? "idle" : "backup",
    viewNum: 5,
    applied: 9,
    keys: 2,
    storeBytes: 10,
    sessions: 1,
    transferChunksAcked: null,
    figures: { place, sent, stable: 9 - sent },
  };
  return { ...base(node, at), type: "status", status };
}

describe("chain replication on the dashboard", () => {
  it("shows each server's place in the chain and its Sent list length", () => {
    const m = model();
    m.onProbedView(chainView(5, ["server-2", "server-4", "server-3"]), t0);
    m.onEvent(statusEvent("server-1", t0 + 10, "spare", 0));
    m.onEvent(statusEvent("server-2", t0 + 10, "head", 3));
    m.onEvent(statusEvent("server-3", t0 + 10, "tail", 0));
    m.onEvent(statusEvent("server-4", t0 + 10, "middle", 1));
    const summary = m.summary(t0 + 20);
    expect(summary.view?.chain).toEqual(["server-2", "server-4", "server-3"]);
    const servers = summary.nodes.filter((node) => node.kind === "server");
    const rows = servers.map((node) => [node.address, node.role, node.figures?.["sent"]]);
    expect(rows).toEqual([
      ["server-1", "idle", 0],
      ["server-2", "head", 3],
      ["server-3", "tail", 0],
      ["server-4", "middle", 1],
    ]);
    expect(Object.keys(servers[1]?.figures ?? {})).toEqual(["place", "sent", "stable"]);
  });

  it("names a chain of one head+tail, and a joining server", () => {
    const m = model();
    m.onProbedView(chainView(2, ["server-1"], "server-2"), t0);
    const roles = m.summary(t0 + 1).nodes.map((node) => [node.address, node.role]);
    expect(roles).toContainEqual(["server-1", "head+tail"]);
    expect(roles).toContainEqual(["server-2", "joining"]);
  });

  it("explains a relinked chain by the crash of the member it lost, with the master's words, and logs it head first", () => {
    const m = model();
    m.onProbedView(chainView(5, ["server-2", "server-4", "server-3"]), t0);
    m.onEvent({ ...base("server-4", t0 + 100), type: "lifecycle", state: "crashed" });
    const said = "middle server server-4 silent for a whole 100 ms check; server-2 relinks to server-3";
    m.onEvent({
      ...base("master", t0 + 300),
      type: "view",
      view: chainView(6, ["server-2", "server-3"]),
      reason: said,
    });
    const summary = m.summary(t0 + 400);
    const view = summary.views.at(-1);
    expect(view).toMatchObject({ viewNum: 6, chain: ["server-2", "server-3"], announcedBy: "master" });
    expect(view?.reason).toBe("middle server-4 crashed (crash fault): unlinked");
    expect(view?.viewServerReason).toBe(said);
    const logged = summary.log.filter((entry) => entry.kind === "view").map((entry) => entry.text);
    expect(logged.at(-1)).toBe(`view 6: chain server-2 > server-3 — ${view?.reason}`);
  });

  it("takes a server's own role events (primary, backup, idle) as agreeing with its place, and shows one that lags", () => {
    const m = model();
    m.onProbedView(chainView(5, ["server-2", "server-4", "server-3"], "server-1"), t0);
    const role = (node: string, at: number, said: "primary" | "backup" | "idle"): ClusterEvent => ({
      ...base(node, at),
      type: "role",
      role: said,
      viewNum: 5,
    });
    m.onEvent(role("server-2", t0 + 1, "primary"));
    m.onEvent(role("server-4", t0 + 1, "backup"));
    m.onEvent(role("server-3", t0 + 1, "primary")); // still the head of an older chain, as it thinks
    m.onEvent(role("server-1", t0 + 1, "idle"));
    const shown = m.summary(t0 + 2).nodes.map((node) => [node.address, node.role, node.selfRole]);
    expect(shown).toContainEqual(["server-2", "head", "head"]);
    expect(shown).toContainEqual(["server-4", "middle", "middle"]);
    expect(shown).toContainEqual(["server-3", "tail", "primary"]);
    expect(shown).toContainEqual(["server-1", "joining", "joining"]);
  });

  it("cuts the tail off from the master", () => {
    const m = model();
    m.onProbedView(chainView(5, ["server-2", "server-4", "server-3"]), t0);
    const cut = m.summary(t0 + 1).protocol.cut;
    expect(cut.groups).toEqual([["server-3"], ["master"]]);
    expect(cut.label).toBe("cut tail ↔ master");
  });
});
