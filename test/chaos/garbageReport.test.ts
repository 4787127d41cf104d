// The bad-input accounting (src/chaos/garbageReport.ts) when the group
// changes (`chaos --reconfigure`): input for a replica that had not started
// yet (no queue took it) or had retired (nobody reads its queue) is accounted
// for as such, and control commands are expected only of the nodes that were
// there; anything else unanswered still fails the run.
import { describe, expect, it } from "vitest";
import type { ChaosCluster, Outage } from "../../src/chaos/cluster.js";
import type { GarbageItem } from "../../src/chaos/garbage.js";
import { accountGarbage } from "../../src/chaos/garbageReport.js";

/** A cluster as the accounting reads it: nodes, outages and when each ended, the observer's copies. */
function cluster(
  outages: Outage[],
  endMs: Map<Outage, number>,
  rejectedBy: Map<number, string[]>,
): ChaosCluster {
  const observer = {
    rejectedByNode: new Map<string, number>(),
    garbageRejected: new Map(
      [...rejectedBy].map(([id, nodes]) => [
        id,
        nodes.map((node) => ({ node, source: "", reason: "invalid JSON", atMs: 0 })),
      ]),
    ),
    garbageInLost: new Map(),
    garbageInEvents: new Map(),
    events: [],
  };
  const fake = {
    observer,
    addresses: ["server-1", "server-2", "server-3", "server-4"],
    outages,
    outageEndMs: (outage: Outage) => endMs.get(outage) ?? Infinity,
  };
  return fake as unknown as ChaosCluster;
}

const item = (
  id: number,
  expect: GarbageItem["expect"],
  target: string | null,
  sentAtMs: number,
): GarbageItem => ({
  id,
  kind: "actor/not-json",
  expect,
  target,
  reasonStart: null,
  sentAtMs,
  bytes: 10,
});

describe("the bad-input accounting with reconfigurations", () => {
  const notStarted: Outage = { node: "server-4", kind: "not started", startMs: 0 };
  const retired: Outage = { node: "server-1", kind: "retired", startMs: 20_000 };
  const ends = new Map([[notStarted, 10_000]]);

  it("accounts for input to a replica not started yet or retired, and still fails on a live one's silence", () => {
    const sent = [
      item(1, "rejected", "server-4", 5_000), // before server-4 started
      item(2, "rejected", "server-1", 25_000), // after server-1 retired
      item(3, "rejected", "server-4", 15_000), // server-4 runs: it must reject it
      item(4, "rejected", "server-2", 5_000),
    ];
    const report = accountGarbage(
      sent,
      0,
      cluster([notStarted, retired], ends, new Map([[4, ["server-2"]]])),
    );
    expect(report.toAbsentNodes).toBe(2);
    expect(report.rejected).toBe(1);
    expect(report.unaccounted).toBe(1);
    expect(report.examples.map((example) => example.id)).toEqual([3]);
  });

  it("expects a control command's rejection only of the nodes that were there", () => {
    const early = item(5, "rejectedByAll", null, 5_000);
    const late = item(6, "rejectedByAll", null, 15_000);
    const everyone = ["server-1", "server-2", "server-3", "server-4"];
    const report = accountGarbage(
      [early, late],
      0,
      cluster(
        [notStarted, retired],
        ends,
        new Map([
          [5, everyone.slice(0, 3)],
          [6, everyone],
        ]),
      ),
    );
    expect(report.controlRejectionsExpected).toBe(7);
    expect(report.controlRejections).toBe(7);
    expect(report.unaccounted).toBe(0);
  });
});
