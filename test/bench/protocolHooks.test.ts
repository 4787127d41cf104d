// What the bench asks of each protocol beyond its actors (BenchSupport): when
// a view serves (pb: its primary's transfer event; VR: as answered), the
// one-server configuration of the unreplicated row, which protocols the
// batching comparison runs on (those with pb's forwarding settings), and
// chain's cluster (its length and a spare), full view and failover positions.
import { describe, expect, it } from "vitest";
import { forwardOf, withForward } from "../../src/bench/settings.js";
import { makeChainConfig } from "../../src/protocols/chain/config.js";
import { configNumber } from "../../src/protocols/configOptions.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent } from "../../src/schemas/clusterEvents.js";
import type { View } from "../../src/schemas/view.js";

const pb = protocolNamed("pb");
const vr = protocolNamed("vr");
const chain = protocolNamed("chain");
const base = { v: 1, cluster: "hb-test", at: 1 } as const;
const transfer = (node: string, viewNum: number): ClusterEvent =>
  ({ ...base, node, type: "transfer", viewNum, to: "server-3", applied: 0 }) as ClusterEvent;

describe("the bench's protocol hooks", () => {
  it("pb: a view with a backup serves once its primary heard the backup installed the state, in it or later", () => {
    const view = { viewNum: 4, primary: "server-2", backup: "server-3" };
    const serving = pb.bench.servingEvent;
    expect(serving).toBeDefined();
    expect(serving?.(view, transfer("server-2", 4))).toBe(true);
    expect(serving?.(view, transfer("server-2", 5))).toBe(true);
    expect(serving?.(view, transfer("server-2", 3))).toBe(false);
    expect(serving?.(view, transfer("server-1", 4))).toBe(false);
  });

  it("VR: a view serves as its replicas answer it (no event to wait for)", () => {
    expect(vr.bench.servingEvent).toBeUndefined();
  });

  it("the unreplicated row: pb's configuration on one server, VR with one replica", () => {
    const pbConfig = pb.config.make({ clientRetryMs: 70 });
    expect(pb.bench.unreplicated?.(pbConfig)).toEqual(pbConfig);
    const vrConfig = vr.config.make({ clientRetryMs: 70 });
    const single = vr.bench.unreplicated?.(vrConfig);
    expect(single === undefined ? null : configNumber(single, "replicas")).toBe(1);
    expect(single?.clientRetryMs).toBe(70);
    expect(single === undefined ? null : vr.config.servers?.(single)).toBe(1);
  });

  it("the batching comparison runs on the protocols with forwarding settings: pb, not VR", () => {
    const pbConfig = pb.config.defaults;
    expect(forwardOf(pbConfig)).toEqual({
      forwardBatchMax: configNumber(pbConfig, "forwardBatchMax"),
      forwardWindow: configNumber(pbConfig, "forwardWindow"),
    });
    expect(forwardOf(vr.config.defaults)).toBeNull();
    const variant = withForward({ protocol: pb, config: pbConfig }, { forwardBatchMax: 1, forwardWindow: 4 });
    expect(forwardOf(variant)).toEqual({ forwardBatchMax: 1, forwardWindow: 4 });
  });

  it("chain: its length and a spare, measured only with every link in, one server alone unreplicated", () => {
    const config = makeChainConfig({ chainLength: 3 });
    expect(chain.config.servers).toBeUndefined();
    expect(chain.bench.servers?.(config)).toBe(4);
    expect(chain.bench.servers?.(makeChainConfig({ chainLength: 2 }))).toBe(3);
    const full = (members: string[], joining?: string): boolean | undefined =>
      chain.bench.full?.(chainViewOf(members, joining), config);
    expect(full(["server-1", "server-2", "server-3"])).toBe(true);
    // broker.ready accepts two links; the master links the third in a view or two later.
    expect(chain.broker.ready(chainViewOf(["server-1", "server-2"]))).toBe(true);
    expect(full(["server-1", "server-2"])).toBe(false);
    expect(full(["server-1", "server-2"], "server-3")).toBe(false);
    expect(full(["server-1", "server-2", "server-3"], "server-4")).toBe(false);
    const single = chain.bench.unreplicated?.(config);
    expect(single === undefined ? null : configNumber(single, "chainLength")).toBe(1);
  });

  it("chain: the failover rounds crash the head, a middle server and the tail, each until the master drops it", () => {
    const positions = chain.bench.failover;
    expect(positions?.positions).toEqual(["head", "middle", "tail"]);
    const view = chainViewOf(["server-2", "server-4", "server-1"]);
    expect(positions?.serverAt(view, "head")).toBe("server-2");
    expect(positions?.serverAt(view, "middle")).toBe("server-4");
    expect(positions?.serverAt(view, "tail")).toBe("server-1");
    expect(positions?.serverAt(view, "primary")).toBeNull();
    // Too short a chain has no middle (and one server is no tail to lose).
    expect(positions?.serverAt(chainViewOf(["server-2", "server-1"]), "middle")).toBeNull();
    expect(positions?.serverAt(chainViewOf(["server-2"]), "tail")).toBeNull();
    // The view after a middle server's crash keeps the head: it is not the primary that goes.
    expect(positions?.without(chainViewOf(["server-2", "server-1"], "server-3"), "server-4")).toBe(true);
    expect(positions?.without(chainViewOf(["server-2", "server-4", "server-1"]), "server-4")).toBe(false);
    expect(positions?.without(chainViewOf(["server-2", "server-1"], "server-4"), "server-4")).toBe(false);
    expect(pb.bench.failover).toBeUndefined();
    expect(vr.bench.failover).toBeUndefined();
  });
});

/** A chain view as the master states it: the head is its primary. */
function chainViewOf(members: string[], joining?: string): View {
  return {
    viewNum: 7,
    primary: members[0] ?? null,
    backup: null,
    chain: members,
    ...(joining === undefined ? {} : { joining }),
  };
}
