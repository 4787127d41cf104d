// The dashboard's model (src/dashboard/model.ts), fed events and tapped
// messages by hand: views and their reasons, node liveness, the faults in
// force, the per-second series, and the samples of the diagram.
import { protocolNamed } from "../../src/protocols/registry.js";
import { describe, expect, it } from "vitest";
import { DashboardModel, silentAfterMs } from "../../src/dashboard/model.js";
import type { TappedMessage } from "../../src/dashboard/tap.js";
import { type ClusterEvent, type NodeCounters, zeroCounters } from "../../src/schemas/clusterEvents.js";
import type { ControlCommand } from "../../src/schemas/control.js";

const t0 = 1_800_000_000_000;

function model(): DashboardModel {
  return new DashboardModel({
    protocol: protocolNamed("pb"),
    cluster: "c",
    broker: "amqp://x",
    projectDirectory: "/home/me/pbkv",
    tap: true,
    samplesPerSecond: 1_000,
  });
}

const base = { v: 1 as const, cluster: "c" };
const viewEvent = (
  at: number,
  viewNum: number,
  primary: string | null,
  backup: string | null,
  reason?: string,
): ClusterEvent => ({
  ...base,
  node: "viewserver",
  at,
  type: "view",
  view: { viewNum, primary, backup },
  ...(reason === undefined ? {} : { reason }),
});
const lifecycle = (
  at: number,
  node: string,
  state: "started" | "crashed" | "restarted" | "stopped",
): ClusterEvent => ({
  ...base,
  node,
  at,
  type: "lifecycle",
  state,
});
const fault = (at: number, node: string, command: ControlCommand): ClusterEvent => ({
  ...base,
  node,
  at,
  type: "fault",
  command,
  effect: "applied",
});
const counters = (at: number, node: string, changes: Partial<NodeCounters>): ClusterEvent => ({
  ...base,
  node,
  at,
  type: "counters",
  counters: { ...zeroCounters(), ...changes },
});

/** What pb's messages are to the dashboard (its `dashboard.traffic`), by type. */
const trafficOf: Record<string, TappedMessage["traffic"]> = {
  Request: "request",
  Reply: "reply",
  Forward: "replication",
  Ping: "heartbeat",
  GetView: "heartbeat",
  ViewReply: "heartbeat",
};

function tapped(changes: Partial<TappedMessage>): TappedMessage {
  const type = changes.type ?? "Ping";
  return {
    traffic: trafficOf[type] ?? "other",
    id: "m",
    from: "server-1",
    to: "viewserver",
    type: "Ping",
    label: "ping",
    viewNum: 1,
    sentAt: t0,
    seq: null,
    replyOk: false,
    fate: "delivered",
    delayMs: null,
    ...changes,
  };
}

describe("DashboardModel", () => {
  it("keeps the view history with a reason for each change", () => {
    const m = model();
    for (const node of ["viewserver", "server-1", "server-2", "server-3"])
      m.onEvent(lifecycle(t0, node, "started"));
    m.onEvent(viewEvent(t0 + 100, 1, "server-1", null));
    m.onEvent(viewEvent(t0 + 200, 2, "server-1", "server-2"));
    m.onEvent(fault(t0 + 1_000, "server-1", { type: "crash", node: "server-1" }));
    m.onEvent(lifecycle(t0 + 1_001, "server-1", "crashed"));
    const said =
      "primary server-1 silent for a whole 100 ms check; backup server-2 promoted; server-3 is the new backup";
    m.onEvent(viewEvent(t0 + 1_300, 3, "server-2", "server-3", said));
    m.onEvent(viewEvent(t0 + 1_300, 3, "server-2", "server-3")); // a repeat changes nothing
    const summary = m.summary(t0 + 1_400);
    expect(summary.view).toEqual({ viewNum: 3, primary: "server-2", backup: "server-3" });
    expect(summary.views.map((view) => view.viewNum)).toEqual([1, 2, 3]);
    expect(summary.views[2]?.reason).toBe(
      "primary server-1 crashed (crash fault); backup server-2 promoted; server-3 is the new backup (state transfer follows)",
    );
    // The view server's own words ride along; views it did not explain have none.
    expect(summary.views.map((view) => view.viewServerReason)).toEqual([undefined, undefined, said]);
    const roles = Object.fromEntries(summary.nodes.map((node) => [node.address, [node.role, node.liveness]]));
    expect(roles).toEqual({
      viewserver: [null, "up"],
      "server-1": [null, "crashed"], // no role: not an idle spare (issue 12)
      "server-2": ["primary", "up"],
      "server-3": ["backup", "up"],
    });
    expect(summary.faults.crashed).toEqual(["server-1"]);
  });

  it("a view probed at start is used only when no event told one", () => {
    const m = model();
    m.onProbedView({ viewNum: 4, primary: "server-2", backup: null }, t0);
    m.onProbedView({ viewNum: 5, primary: "server-3", backup: null }, t0);
    expect(m.summary(t0).view?.viewNum).toBe(4);
    expect(m.summary(t0).views[0]?.reason).toBe("current view when the dashboard started");
  });

  it("a node not heard from is silent; a restart clears a crash", () => {
    const m = model();
    m.onEvent(lifecycle(t0, "server-1", "started"));
    expect(m.summary(t0 + silentAfterMs + 1).nodes[0]?.liveness).toBe("silent");
    m.onEvent(lifecycle(t0 + 10_000, "server-1", "crashed"));
    expect(m.summary(t0 + 10_001).nodes[0]?.liveness).toBe("crashed");
    m.onEvent(lifecycle(t0 + 11_000, "server-1", "restarted"));
    expect(m.summary(t0 + 11_001).nodes[0]?.liveness).toBe("up");
  });

  it("a crashed node the view does not name has no role, not idle (issue 12)", () => {
    const m = model();
    m.onEvent(viewEvent(t0, 2, "server-1", "server-2"));
    for (const node of ["server-1", "server-2", "server-3"]) m.onEvent(lifecycle(t0, node, "started"));
    m.onEvent(lifecycle(t0 + 1, "server-3", "crashed"));
    m.onEvent(lifecycle(t0 + 1, "server-2", "crashed"));
    const roles = (now: number) =>
      Object.fromEntries(
        m
          .summary(now)
          .nodes.filter((n) => n.kind === "server")
          .map((n) => [n.address, n.role]),
      );
    // The view still names server-2 (the view server has not noticed): it is its backup.
    expect(roles(t0 + 2)).toEqual({ "server-1": "primary", "server-2": "backup", "server-3": null });
    m.onEvent(viewEvent(t0 + 500, 3, "server-1", null));
    expect(roles(t0 + 501)).toEqual({ "server-1": "primary", "server-2": null, "server-3": null });
    m.onEvent(lifecycle(t0 + 600, "server-3", "restarted"));
    expect(roles(t0 + 601)["server-3"]).toBe("idle");
  });

  it("a restarted node shows this life's counters, not its previous life's (issue 12)", () => {
    const m = model();
    m.onEvent(lifecycle(t0, "server-1", "started"));
    m.onEvent(counters(t0 + 1_000, "server-1", { served: 100, messagesIn: 500, lost: 3 }));
    m.onTapped(tapped({ id: "f", type: "Forward", to: "server-2" }), t0 + 1_001);
    const summary = (now: number) => m.summary(now).nodes[0];
    expect(summary(t0 + 1_002)).toMatchObject({ counters: { served: 100 }, forwards: 1 });
    // A restart by command: the same process, whose counters go on.
    m.onEvent(lifecycle(t0 + 2_000, "server-1", "crashed"));
    m.onEvent(lifecycle(t0 + 2_100, "server-1", "restarted"));
    expect(summary(t0 + 2_101)).toMatchObject({
      counters: { served: 0, messagesIn: 0, lost: 0 },
      forwards: 0,
    });
    m.onEvent(counters(t0 + 3_000, "server-1", { served: 107, messagesIn: 520, lost: 3 }));
    expect(summary(t0 + 3_001)).toMatchObject({ counters: { served: 7, messagesIn: 20, lost: 0 } });
    // A new process (killed and started again): nothing of the old one.
    m.onEvent(lifecycle(t0 + 4_000, "server-1", "started"));
    expect(summary(t0 + 4_001)).toMatchObject({ counters: null, forwards: 0 });
    m.onEvent(counters(t0 + 5_000, "server-1", { served: 2 }));
    expect(summary(t0 + 5_001)?.counters?.served).toBe(2);
  });

  it("follows the network faults from the nodes' acknowledgements, logging each command once", () => {
    const m = model();
    const net: ControlCommand = { type: "net", drop: 0.3, duplicate: 0, delayMs: [0, 20] };
    for (const node of ["viewserver", "server-1", "server-2"]) m.onEvent(fault(t0, node, net));
    m.onEvent(fault(t0 + 10, "server-1", { type: "partition", groups: [["server-1"], ["viewserver"]] }));
    const summary = m.summary(t0 + 20);
    expect(summary.faults.net).toEqual({ drop: 0.3, duplicate: 0, delayMs: [0, 20] });
    expect(summary.faults.groups).toEqual([["server-1"], ["viewserver"]]);
    expect(summary.faults.text).toBe("drop 0.3, duplicate 0, delay 0-20 ms, partition server-1 | viewserver");
    expect(summary.log.filter((entry) => entry.kind === "fault")).toHaveLength(2);
  });

  it("turns counters into per-second throughput and losses", () => {
    const m = model();
    m.onEvent(counters(t0, "server-1", { served: 100, lost: 1 }));
    m.onEvent(counters(t0 + 1_000, "server-1", { served: 150, lost: 4 }));
    m.onEvent(counters(t0 + 2_000, "server-1", { served: 10, lost: 0 })); // a new process: counts from zero
    const series = m.summary(t0 + 3_000).series;
    expect(series.slice(-3).map((point) => [point.ops, point.lost])).toEqual([
      [0, 0],
      [50, 3],
      [10, 0],
    ]);
  });

  it("measures client latency from the first Request to the ok Reply", () => {
    const m = model();
    const request = { type: "Request", from: "client-a", to: "server-1", seq: 1 };
    m.onTapped(tapped({ ...request, id: "r1", sentAt: t0 }), t0 + 1);
    m.onTapped(tapped({ ...request, id: "r2", sentAt: t0 + 100 }), t0 + 101); // a retry
    m.onTapped(
      tapped({ id: "p1", type: "Reply", from: "server-1", to: "client-a", seq: 1, replyOk: true }),
      t0 + 250,
    );
    const point = m.summary(t0 + 1_000).series.at(-1);
    expect(point?.latencyP50Ms).toBe(250);
    expect(point?.messages).toBe(3);
  });

  it("samples messages, marks second copies, and updates one that was refused later", () => {
    const m = model();
    m.onTapped(tapped({ id: "a" }), t0 + 1);
    m.onTapped(tapped({ id: "a" }), t0 + 2);
    m.onTapped(tapped({ id: "b", fate: "dropped" }), t0 + 3);
    m.onTapped(tapped({ id: "c", to: "server-2", type: "Forward" }), t0 + 4);
    m.onTapped(tapped({ id: "c", to: "server-2", type: "Forward", fate: "refused" }), t0 + 5);
    const samples = m.takeSamples();
    expect(samples.map((sample) => [sample.key, sample.fate, sample.duplicate])).toEqual([
      ["a:1", "delivered", false],
      ["a:2", "delivered", true],
      ["b:lost", "dropped", false],
      ["c:1", "delivered", false],
      ["c:1", "refused", false],
    ]);
    expect(m.takeSamples()).toEqual([]);
    expect(m.recentSamples(t0 + 10).map((sample) => `${sample.key} ${sample.fate}`)).toEqual([
      "a:1 delivered",
      "a:2 delivered",
      "b:lost dropped",
      "c:1 refused",
    ]);
  });

  it("counts a node's Forwards once per message", () => {
    const m = model();
    m.onEvent(lifecycle(t0, "server-1", "started"));
    m.onTapped(tapped({ id: "f", type: "Forward", to: "server-2" }), t0 + 1);
    m.onTapped(tapped({ id: "f", type: "Forward", to: "server-2" }), t0 + 2);
    expect(m.summary(t0 + 3).nodes[0]?.forwards).toBe(1);
  });

  it("logs control commands and refusals", () => {
    const m = model();
    m.noteControl(t0, { type: "heal" }, null);
    m.noteControl(t0, null, "invalid control command");
    expect(m.summary(t0).log.map((entry) => [entry.text, entry.bad ?? false])).toEqual([
      ['sent {"type":"heal"}', false],
      ["control refused: invalid control command", true],
    ]);
  });
});
