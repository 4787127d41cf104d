// The broker runtime's fault decisions (DESIGN §5 fault layer) and control
// command schema, without a broker: partitions cut only across groups, drops
// and duplicates follow their probabilities, delays land in buckets.
import { describe, expect, it } from "vitest";
import { applyToFaults, bucketFor, canReach, cleanFaults, planSend } from "../../src/broker/faults.js";
import { delayBucketsMs } from "../../src/broker/topology.js";
import { ControlCommand } from "../../src/schemas/control.js";

/** A deterministic random source cycling through `values`. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length] ?? 0;
}

describe("partitions", () => {
  it("cut only between groups; a node in no group reaches everyone", () => {
    const groups = [["server-1"], ["viewserver"]];
    expect(canReach(groups, "server-1", "viewserver")).toBe(false);
    expect(canReach(groups, "viewserver", "server-1")).toBe(false);
    expect(canReach(groups, "server-1", "server-2")).toBe(true);
    expect(canReach(groups, "client-a", "viewserver")).toBe(true);
    expect(canReach(null, "server-1", "viewserver")).toBe(true);
  });

  it("heal ends them and reset clears everything", () => {
    const faults = cleanFaults();
    applyToFaults(faults, { type: "partition", groups: [["a"], ["b"]] });
    expect(planSend(faults, "a", "b", Math.random)).toEqual({ kind: "partitioned" });
    applyToFaults(faults, { type: "heal" });
    expect(planSend(faults, "a", "b", Math.random)).toEqual({ kind: "deliver", copiesDelayMs: [0] });
    applyToFaults(faults, { type: "net", drop: 1, duplicate: 0, delayMs: [0, 0] });
    applyToFaults(faults, { type: "partition", groups: [["a"], ["b"]] });
    applyToFaults(faults, { type: "reset" });
    expect(planSend(faults, "a", "b", Math.random)).toEqual({ kind: "deliver", copiesDelayMs: [0] });
  });
});

describe("net settings", () => {
  it("drop, duplicate and delay follow the draws", () => {
    const faults = cleanFaults();
    applyToFaults(faults, { type: "net", drop: 0.2, duplicate: 0.5, delayMs: [10, 20] });
    expect(planSend(faults, "a", "b", sequence(0.1))).toEqual({ kind: "dropped" });
    // not dropped (0.9), not duplicated (0.9), delay 10 + 0 * 10 = 10
    expect(planSend(faults, "a", "b", sequence(0.9, 0.9, 0))).toEqual({
      kind: "deliver",
      copiesDelayMs: [10],
    });
    // duplicated (0.3 < 0.5): two copies with their own delays, 10 and 20
    expect(planSend(faults, "a", "b", sequence(0.9, 0.3, 0, 1))).toEqual({
      kind: "deliver",
      copiesDelayMs: [10, 20],
    });
  });

  it("per-link overrides apply to that direction only and a new net command replaces them", () => {
    const faults = cleanFaults();
    applyToFaults(faults, {
      type: "net",
      drop: 0,
      duplicate: 0,
      delayMs: [0, 0],
      links: [{ from: "a", to: "b", drop: 1 }],
    });
    expect(planSend(faults, "a", "b", sequence(0.5))).toEqual({ kind: "dropped" });
    expect(planSend(faults, "b", "a", sequence(0.5))).toEqual({ kind: "deliver", copiesDelayMs: [0] });
    applyToFaults(faults, { type: "net", drop: 0, duplicate: 0, delayMs: [0, 0] });
    expect(planSend(faults, "a", "b", sequence(0.5))).toEqual({ kind: "deliver", copiesDelayMs: [0] });
  });

  it("delays go to the nearest bucket, and below half a millisecond to none", () => {
    expect(bucketFor(0.2)).toBe(0);
    expect(bucketFor(1)).toBe(1);
    expect(bucketFor(12)).toBe(10);
    expect(bucketFor(13)).toBe(15);
    expect(bucketFor(1e9)).toBe(delayBucketsMs[delayBucketsMs.length - 1]);
  });
});

describe("control commands", () => {
  it("accept the documented JSON and refuse nonsense", () => {
    const valid = [
      { type: "crash", node: "server-1" },
      { type: "restart", node: "server-1" },
      { type: "partition", groups: [["server-1"], ["viewserver"]] },
      { type: "heal" },
      { type: "net", drop: 0.2, duplicate: 0.1, delayMs: [0, 50] },
      { type: "reset" },
    ];
    for (const command of valid)
      expect(ControlCommand.safeParse(command).success, JSON.stringify(command)).toBe(true);
    const invalid = [
      { type: "crash" },
      { type: "net", drop: 2, duplicate: 0, delayMs: [0, 0] },
      { type: "net", drop: 0, duplicate: 0, delayMs: [50, 10] },
      { type: "partition", groups: [["a"], ["a"]] },
      { type: "crash", node: "no spaces" },
      { type: "explode" },
    ];
    for (const command of invalid)
      expect(ControlCommand.safeParse(command).success, JSON.stringify(command)).toBe(false);
  });
});
