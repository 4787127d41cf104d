// The dashboard knows no protocol (issue 15): who states the views, which
// nodes are never in a view, how they are named, and the "cut" partition all
// come from the protocol object. A protocol shaped like chain replication's
// master (an uncrashable "master" that decides the configuration, servers
// under it) is shown as such, with nothing of pb's view server.
import { describe, expect, it } from "vitest";
import { DashboardModel } from "../../src/dashboard/model.js";
import type { AnyProtocol } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { isServerAddress } from "../../src/schemas/address.js";
import type { ClusterEvent } from "../../src/schemas/clusterEvents.js";

const pb = protocolNamed("pb");
const t0 = 1_800_000_000_000;

/** pb's actors and messages behind a master instead of a view server. */
const withMaster: AnyProtocol = {
  ...pb,
  name: "master",
  roles: [
    { name: "master", summary: "decides the chain", crashable: false, restartable: false },
    { name: "server", summary: "a link of the chain", crashable: true, restartable: true },
  ],
  layout: (servers) => [
    { address: "master", role: "master" },
    ...pb.layout(servers).filter((node) => node.role === "server"),
  ],
  roleOf: (address) => (address === "master" ? "master" : isServerAddress(address) ? "server" : null),
  broker: { ...pb.broker, viewQuery: { ...pb.broker.viewQuery, to: () => ["master"] } },
  chaos: {
    ...pb.chaos,
    partition: (view) => (view.primary === null ? null : { isolated: view.primary, from: ["master"] }),
  },
  dashboard: {
    ...pb.dashboard,
    roles: {
      master: { label: "chain master", inViews: false, crashWarning: "Crash the master?" },
      server: { label: "server", inViews: true, crashWarning: null },
    },
    cut: { label: "cut head ↔ master", title: "the head cannot reach the master" },
  },
};

const viewEvent = (
  node: string,
  at: number,
  viewNum: number,
  primary: string,
  backup: string,
): ClusterEvent => ({
  v: 1,
  cluster: "c",
  node,
  at,
  type: "view",
  view: { viewNum, primary, backup },
});

function model(protocol: AnyProtocol): DashboardModel {
  return new DashboardModel({
    protocol,
    cluster: "c",
    broker: "amqp://x",
    projectDirectory: "/p",
    tap: true,
    samplesPerSecond: 1_000,
  });
}

describe("the dashboard with a protocol other than pb", () => {
  it("takes the views of the node that answers the configuration query, and of no other", () => {
    const m = model(withMaster);
    m.onEvent(viewEvent("viewserver", t0, 1, "server-1", "server-2")); // not a node of this protocol
    m.onEvent(viewEvent("server-1", t0 + 1, 1, "server-1", "server-2")); // a server learning it
    expect(m.summary(t0 + 2).views).toHaveLength(0);
    m.onEvent(viewEvent("master", t0 + 3, 1, "server-1", "server-2"));
    const summary = m.summary(t0 + 4);
    expect(summary.views.map((view) => view.viewNum)).toEqual([1]);
    expect(summary.log.at(-1)).toMatchObject({ node: "master", kind: "view" });
  });

  it("lists the master first by its role, outside the view, and describes the protocol to the page", () => {
    const m = model(withMaster);
    m.onEvent(viewEvent("master", t0, 1, "server-2", "server-1"));
    const summary = m.summary(t0 + 1);
    expect(summary.nodes.map((node) => [node.address, node.kind, node.role])).toEqual([
      ["master", "master", null],
      ["server-1", "server", "backup"],
      ["server-2", "server", "primary"],
    ]);
    expect(summary.protocol.configuring).toBe("chain master");
    expect(summary.protocol.roles.map((role) => [role.name, role.inViews, role.crashWarning])).toEqual([
      ["master", false, "Crash the master?"],
      ["server", true, null],
    ]);
    expect(summary.protocol.cut).toEqual({
      label: "cut head ↔ master",
      title: "the head cannot reach the master",
      groups: [["server-2"], ["master"]],
    });
  });

  it("pb keeps its view server, its label and its cut", () => {
    const m = model(pb);
    m.onEvent(viewEvent("viewserver", t0, 1, "server-1", "server-2"));
    const summary = m.summary(t0 + 1);
    expect(summary.nodes[0]).toMatchObject({ address: "viewserver", kind: "viewserver", role: null });
    expect(summary.protocol.configuring).toBe("view server");
    expect(summary.protocol.cut.groups).toEqual([["server-1"], ["viewserver"]]);
  });
});

/** Shaped like VR: no view server; every replica answers the configuration query; views list the replicas. */
const replicas = ["server-1", "server-2", "server-3"];
const withReplicas: AnyProtocol = {
  ...pb,
  name: "replicas",
  roles: [{ name: "server", summary: "a replica", crashable: true, restartable: true }],
  layout: (servers) => pb.layout(servers).filter((node) => node.role === "server"),
  roleOf: (address) => (isServerAddress(address) ? "server" : null),
  broker: { ...pb.broker, viewQuery: { ...pb.broker.viewQuery, to: () => replicas } },
  dashboard: {
    ...pb.dashboard,
    roles: { server: { label: "replica", inViews: true, crashWarning: null } },
    roleIn: (view, node) =>
      node === view.primary ? "primary" : (view.replicas ?? []).includes(node) ? "replica" : null,
  },
};

const replicaViewEvent = (node: string, at: number, viewNum: number, status: string): ClusterEvent => ({
  v: 1,
  cluster: "c",
  node,
  at,
  type: "view",
  view: { viewNum, primary: replicas[viewNum % 3] ?? null, backup: null, replicas, status },
});

describe("the dashboard with 2f+1 replicas", () => {
  it("takes the views of every replica, each number once, and shows members, roles and status", () => {
    const m = model(withReplicas);
    m.onEvent(replicaViewEvent("server-2", t0, 1, "view-change"));
    m.onEvent(replicaViewEvent("server-3", t0 + 1, 1, "view-change"));
    m.onEvent(replicaViewEvent("server-2", t0 + 2, 1, "normal"));
    const summary = m.summary(t0 + 3);
    expect(summary.views.map((view) => [view.viewNum, view.status])).toEqual([[1, "normal"]]);
    expect(summary.view).toMatchObject({ viewNum: 1, replicas, status: "normal" });
    expect(summary.nodes.map((node) => [node.address, node.role])).toEqual([
      ["server-1", "replica"],
      ["server-2", "primary"],
      ["server-3", "replica"],
    ]);
    expect(summary.protocol.configuring).toBe("replica");
    expect(summary.log.filter((entry) => entry.kind === "view").map((entry) => entry.text)).toEqual([
      "view 1: primary server-2, replicas server-1 server-2 server-3, view-change — server-2 pinged first: primary of view 1",
      "view 1: primary server-2, replicas server-1 server-2 server-3, normal — status normal",
    ]);
  });
});
