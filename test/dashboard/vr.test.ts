// VR on the dashboard (issue 16): every replica with its role in the view,
// its own status, op-number and commit-number (its answer to the `status`
// command, which the feed sends every second while answers carry figures),
// the view changes with the inferred cause and the new primary's words, a
// reconfiguration's new epoch and members, and
// the cut button as VR's chaos part defines it. Pure: events fed by hand.
import { describe, expect, it } from "vitest";
import { DashboardModel, statusStaleMs } from "../../src/dashboard/model.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent, NodeStatus } from "../../src/schemas/clusterEvents.js";
import type { View } from "../../src/schemas/view.js";

const vr = protocolNamed("vr");
const pb = protocolNamed("pb");
const t0 = 1_800_000_000_000;
const replicas = ["server-1", "server-2", "server-3"];

function model(protocol = vr): DashboardModel {
  return new DashboardModel({
    protocol,
    config: protocol.config.defaults,
    cluster: "c",
    broker: "amqp://x",
    projectDirectory: "/p",
    tap: true,
    samplesPerSecond: 1_000,
  });
}

const vrView = (viewNum: number, status = "normal"): View => ({
  viewNum,
  primary: replicas[viewNum % 3] ?? null,
  backup: null,
  replicas,
  status,
});

const base = (node: string, at: number) => ({ v: 1 as const, cluster: "c", node, at });

function statusEvent(
  node: string,
  at: number,
  role: NodeStatus["role"],
  figures?: NodeStatus["figures"],
): ClusterEvent {
  const status: NodeStatus = {
    role,
    viewNum: 1,
    applied: 4,
    keys: 2,
    storeBytes: 10,
    sessions: 1,
    transferChunksAcked: null,
    ...(figures === undefined ? {} : { figures }),
  };
  return { ...base(node, at), type: "status", status };
}

describe("VR on the dashboard", () => {
  it("shows each replica's role, and its status, op-number and commit-number while its answer is fresh", () => {
    const m = model();
    m.onProbedView(vrView(0), t0);
    m.onEvent(
      statusEvent("server-1", t0 + 10, "primary", {
        status: "normal",
        opNumber: 7,
        commitNumber: 7,
        logStart: 0,
      }),
    );
    m.onEvent(
      statusEvent("server-2", t0 + 10, "backup", {
        status: "normal",
        opNumber: 7,
        commitNumber: 6,
        logStart: 0,
      }),
    );
    m.onEvent(
      statusEvent("server-3", t0 + 10, "idle", {
        status: "recovering",
        opNumber: 0,
        commitNumber: 0,
        logStart: 0,
      }),
    );
    const nodes = m.summary(t0 + 20).nodes;
    expect(
      nodes.map((node) => [
        node.address,
        node.role,
        node.figures?.["status"],
        node.figures?.["commitNumber"],
      ]),
    ).toEqual([
      ["server-1", "primary", "normal", 7],
      ["server-2", "backup", "normal", 6],
      ["server-3", "backup", "recovering", 0],
    ]);
    // An answer older than statusStaleMs is not shown: the node stopped answering.
    expect(m.summary(t0 + 20 + statusStaleMs).nodes.every((node) => node.figures === null)).toBe(true);
  });

  it("drops a node's figures when it crashes, and keeps asking only while answers carry figures", () => {
    const m = model();
    m.onProbedView(vrView(0), t0);
    expect(m.wantsStatus()).toBe(true);
    m.onEvent(
      statusEvent("server-1", t0, "primary", { status: "normal", opNumber: 1, commitNumber: 1, logStart: 0 }),
    );
    m.onEvent({ ...base("server-1", t0 + 5), type: "lifecycle", state: "crashed" });
    expect(m.summary(t0 + 10).nodes.find((node) => node.address === "server-1")?.figures).toBeNull();
    expect(m.wantsStatus()).toBe(true);
    const pbModel = model(pb);
    expect(pbModel.wantsStatus()).toBe(true); // until the first answer
    pbModel.onEvent(statusEvent("server-1", t0, "primary"));
    expect(pbModel.wantsStatus()).toBe(false);
    expect(pbModel.summary(t0 + 1).nodes.find((node) => node.address === "server-1")?.figures).toBeNull();
  });

  it("takes VR's view 0 from a probe (pb's view 0 names nobody), and a view change with its cause and the new primary's words", () => {
    const m = model();
    m.onProbedView(vrView(0), t0);
    expect(m.currentView()).toMatchObject({ viewNum: 0, primary: "server-1" });
    m.onEvent({ ...base("server-1", t0 + 100), type: "lifecycle", state: "crashed" });
    const said =
      "server-2, server-3 moved on from view 0; the log of server-2 (last normal view 0, op 3) won, commit 3";
    m.onEvent({ ...base("server-2", t0 + 300), type: "view", view: vrView(1), reason: said });
    const view = m.summary(t0 + 400).views.at(-1);
    expect(view).toMatchObject({
      viewNum: 1,
      primary: "server-2",
      replicas,
      status: "normal",
      announcedBy: "server-2",
    });
    expect(view?.reason).toBe(
      "primary server-1 crashed (crash fault); the replicas chose view 1, primary server-2",
    );
    expect(view?.viewServerReason).toBe(said);
    const pbModel = model(pb);
    pbModel.onProbedView({ viewNum: 0, primary: null, backup: null }, t0);
    expect(pbModel.currentView()).toBeNull();
  });

  it("asks for the view again while the one it holds does not serve, and takes only a serving answer", () => {
    const m = model();
    m.onProbedView(vrView(0, "recovering"), t0); // a replica still recovering answered first
    expect(m.needsView()).toBe(true);
    m.onProbedView(vrView(0, "recovering"), t0 + 1);
    m.onProbedView(vrView(0, "normal"), t0 + 2);
    expect(m.currentView()?.status).toBe("normal");
    expect(m.needsView()).toBe(false);
    m.onProbedView(vrView(0, "recovering"), t0 + 3); // not asked, and not taken
    expect(m.currentView()?.status).toBe("normal");
    const pbModel = model(pb);
    pbModel.onProbedView({ viewNum: 1, primary: "server-1", backup: null }, t0);
    expect(pbModel.needsView()).toBe(false); // pb's views have no status: a view without backup is final
  });

  it("keeps a view's replicas when its announcer names only its primary", () => {
    const m = model();
    m.onProbedView(vrView(0), t0);
    m.onEvent({
      ...base("server-2", t0 + 1),
      type: "view",
      view: { viewNum: 1, primary: "server-2", backup: null },
    });
    expect(m.currentView()?.replicas).toEqual(replicas);
    expect(m.summary(t0 + 2).nodes.map((node) => node.role)).toEqual(["backup", "primary", "backup"]);
  });

  it("shows a reconfiguration: the next epoch's members, who joined and who left, and no members carried over from the old epoch", () => {
    const m = model();
    m.onProbedView({ ...vrView(1), epoch: 0 }, t0);
    const next = ["server-2", "server-3", "server-4"];
    const epochOne: View = {
      viewNum: 2,
      primary: "server-4",
      backup: null,
      replicas: next,
      status: "normal",
      epoch: 1,
    };
    m.onEvent({ ...base("server-4", t0 + 10), type: "view", view: epochOne });
    const view = m.summary(t0 + 20).views.at(-1);
    expect(view).toMatchObject({ viewNum: 2, epoch: 1, replicas: next });
    expect(view?.reason).toBe(
      "reconfigured: epoch 1, members server-2 server-3 server-4 (server-4 joined, server-1 left); view 2, primary server-4",
    );
    // A later epoch's view that names only its primary does not take the old epoch's members.
    m.onEvent({
      ...base("server-3", t0 + 30),
      type: "view",
      view: { viewNum: 3, primary: "server-3", backup: null, epoch: 2 },
    });
    expect(m.currentView()?.replicas).toBeUndefined();
  });

  it("cuts the primary off as VR's chaos part says, as a valid partition", () => {
    const m = model();
    m.onProbedView(vrView(1), t0);
    const cut = m.summary(t0 + 1).protocol.cut;
    expect(cut.groups?.[0]).toEqual(["server-2"]);
    expect(cut.groups?.[1]?.length).toBeGreaterThan(0);
  });
});
