// The garbage campaign is seeded: the same seed sends the same messages (the
// kinds below were those of the campaign before it took its hostile messages
// from the protocol object, issue 15; a change here changes every past seed).
import { describe, expect, it, vi } from "vitest";
import { clusterNames } from "../../src/broker/topology.js";
import type { BrokerConnection } from "../../src/broker/connection.js";
import type { ChaosCluster } from "../../src/chaos/cluster.js";
import { GarbageCampaign, type GarbageItem } from "../../src/chaos/garbage.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { Random } from "../../src/sim/random.js";

const pb = protocolNamed("pb");

function campaign(seed: number, count: number): GarbageItem[] {
  const addresses = pb.layout(3).map((node) => node.address);
  const cluster = {
    addresses,
    servers: addresses.filter((address) => pb.roleOf(address) === "server"),
    nodes: pb.layout(3),
    names: clusterNames("c"),
    observer: {
      view: { view: { viewNum: 4, primary: "server-2", backup: "server-3" } },
      events: [{ type: "lifecycle", node: "client-a1", state: "started" }],
    },
    options: { protocol: pb },
  } as unknown as ChaosCluster;
  const connection = { publish: () => true } as unknown as BrokerConnection;
  const garbage = new GarbageCampaign({
    cluster,
    connection,
    random: new Random(seed),
    ratePerSecond: 1,
    oversizedEveryMs: 1e12,
  });
  const internals = garbage as unknown as { publish(draft: unknown): void; draft(): unknown };
  for (let index = 0; index < count; index++) internals.publish(internals.draft());
  return garbage.sent;
}

describe("the garbage campaign with pb", () => {
  it("sends the same kinds for the same seed", () => {
    vi.spyOn(performance, "now").mockReturnValue(5);
    const kinds = campaign(11, 16).map((item) => `${item.kind} → ${item.target ?? "-"}`);
    expect(kinds).toEqual(KINDS);
  });
});

const KINDS: string[] = [
  "hostile/request-of-a-future-view → server-1",
  "queue/drop-queue-directly → -",
  "rejected/direct → -",
  "hostile/ping-of-a-future-view → viewserver",
  "actor/null-fields → server-1",
  "actor/wrong-types → viewserver",
  "control/binary → -",
  "queue/drop-queue-directly → -",
  "actor/misaddressed → viewserver",
  "control/oversized → -",
  "actor/infinite-view → server-2",
  "control/crash-of-an-unknown-node → -",
  "delay/drop → -",
  "hostile/forward-of-a-stale-view-from-a-ghost → server-2",
  "hostile/view-from-an-impostor → server-2",
  "actor/json-array → server-3",
];
