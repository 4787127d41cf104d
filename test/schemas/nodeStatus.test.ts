// A node's status (`kv status`, the dashboard's nodes): the figures every
// protocol has, and a protocol's own beside them (DESIGN §9): VR reports its
// replica's status, op-number, commit-number and log start; pb none.
import { describe, expect, it } from "vitest";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { VrConfig } from "../../src/protocols/vr/config.js";
import { flatStatus, NodeStatus } from "../../src/schemas/clusterEvents.js";
import { Simulator } from "../../src/sim/simulator.js";

const common: NodeStatus = {
  role: "primary",
  viewNum: 3,
  applied: 10,
  keys: 2,
  storeBytes: 20,
  sessions: 1,
  transferChunksAcked: null,
};

describe("a node's status", () => {
  it("takes a protocol's own figures, counts or short words, and prints them flat after the common ones", () => {
    const status = { ...common, figures: { status: "normal", opNumber: 12, commitNumber: 11 } };
    expect(NodeStatus.parse(status)).toEqual(status);
    expect(Object.keys(flatStatus(status))).toEqual([
      "role",
      "viewNum",
      "applied",
      "keys",
      "storeBytes",
      "sessions",
      "transferChunksAcked",
      "status",
      "opNumber",
      "commitNumber",
    ]);
    expect(flatStatus(common)).toEqual(common);
  });

  it("refuses a figure that would hide a common field, a bad name, a negative count or an empty word", () => {
    for (const figures of [
      { role: "x" },
      { viewNum: 1 },
      { "op number": 1 },
      { opNumber: -1 },
      { status: "" },
    ])
      expect(NodeStatus.safeParse({ ...common, figures }).success).toBe(false);
  });

  it("VR's replicas report status, epoch, members, op-number, commit-number and log start; pb's servers no figures", () => {
    const vr = protocolNamed("vr");
    const config = vr.config.make({}) as VrConfig;
    const sim = new Simulator({ seed: 1, protocol: vr, config, traceLinesMax: 100 });
    sim.addCluster(config.replicas);
    sim.runUntil(() => false, 1_000);
    const definition = vr.actor("replica", config);
    const status = NodeStatus.parse(definition.status?.(sim.stateOf("server-1")));
    expect(status.figures).toEqual({
      status: "normal",
      epoch: 0,
      members: "s1 s2 s3",
      opNumber: 0,
      commitNumber: 0,
      logStart: 0,
    });
    expect(status.role).toBe("primary");
    const pb = protocolNamed("pb");
    const server = pb.actor("server", pb.config.defaults);
    const pbSim = new Simulator({ seed: 1, protocol: pb, config: pb.config.defaults, traceLinesMax: 100 });
    pbSim.addCluster(2);
    pbSim.runUntil(() => false, 1_000);
    expect(server.status?.(pbSim.stateOf("server-1"))?.figures).toBeUndefined();
  });
});
