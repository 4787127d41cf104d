// What the bench asks of each protocol beyond its actors (BenchSupport): when
// a view serves (pb: its primary's transfer event; VR: as answered), the
// one-server configuration of the unreplicated row, and which protocols the
// batching comparison runs on (those with pb's forwarding settings).
import { describe, expect, it } from "vitest";
import { forwardOf, withForward } from "../../src/bench/settings.js";
import { configNumber } from "../../src/protocols/configOptions.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent } from "../../src/schemas/clusterEvents.js";

const pb = protocolNamed("pb");
const vr = protocolNamed("vr");
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
});
