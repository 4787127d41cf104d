// The `load` event (src/schemas/clusterEvents.ts) that `npm run load`
// publishes at its start and with its verdict, and how the dashboard's model
// folds it: the newest event of a run replaces the older one, the run heard
// of last comes last, and an invalid event is counted, never shown as a run.
import { protocolNamed } from "../../src/protocols/registry.js";
import { describe, expect, it } from "vitest";
import { describeLoadEvent } from "../../src/broker/events.js";
import { DashboardModel, loadRunsMax } from "../../src/dashboard/model.js";
import { ClusterEvent, LoadEvent, loadReportLengthMax } from "../../src/schemas/clusterEvents.js";
import { parseJsonWith } from "../../src/schemas/parse.js";

const t0 = 1_800_000_000_000;
const base = { v: 1 as const, cluster: "c", node: "load", type: "load" as const };
const announced = { run: "r1", clients: 8, keys: 5, history: "/tmp/h.jsonl" };

function running(at: number, run = "r1"): Extract<LoadEvent, { result: "running" }> {
  return { ...base, ...announced, run, at, result: "running", durationMs: 10_000 };
}

type Verdict = Extract<LoadEvent, { result: "linearizable" }>;

function finished(at: number, run = "r1"): Verdict {
  return {
    ...base,
    ...announced,
    run,
    at,
    result: "linearizable",
    durationMs: 10_090,
    ok: 4977,
    info: 0,
    fail: 0,
    opsPerSecond: 493.4,
    latencyP50Ms: 14.2,
    latencyP99Ms: 44.5,
    maxWaitMs: 75.5,
    checkMs: 213,
    report: "linearizable: 4977 ops on 5 keys, 213 ms",
  };
}

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

describe("the load event's schema", () => {
  it("accepts a start without figures and a verdict with them, through ClusterEvent", () => {
    for (const event of [running(t0), { ...running(t0), verdictDueMs: 25_000 }, finished(t0)]) {
      const parsed = parseJsonWith(ClusterEvent, JSON.stringify(event));
      expect(parsed).toEqual({ ok: true, value: event });
    }
  });

  it("wants the key of a violation, and figures with every verdict", () => {
    const violation = { ...finished(t0), result: "not-linearizable" };
    expect(ClusterEvent.safeParse(violation).success).toBe(false);
    expect(ClusterEvent.safeParse({ ...violation, key: "r1-k3" }).success).toBe(true);
    const { ok: _ok, ...withoutOk } = finished(t0);
    expect(ClusterEvent.safeParse(withoutOk).success).toBe(false);
    expect(ClusterEvent.safeParse({ ...running(t0), result: "unknown" }).success).toBe(false);
  });

  it("refuses unknown results, negative counts and oversized reports", () => {
    expect(ClusterEvent.safeParse({ ...finished(t0), result: "ok" }).success).toBe(false);
    expect(ClusterEvent.safeParse({ ...finished(t0), ok: -1 }).success).toBe(false);
    expect(ClusterEvent.safeParse({ ...running(t0), clients: 0 }).success).toBe(false);
    expect(ClusterEvent.safeParse({ ...running(t0), verdictDueMs: -1 }).success).toBe(false);
    const report = "x".repeat(loadReportLengthMax + 1);
    expect(ClusterEvent.safeParse({ ...finished(t0), report }).success).toBe(false);
  });

  it("reads as one line", () => {
    expect(describeLoadEvent(running(t0))).toBe("run r1 started: 8 clients, 5 keys, 10 s");
    expect(describeLoadEvent({ ...finished(t0), result: "not-linearizable", key: "r1-k3" })).toBe(
      'run r1: NOT linearizable (key "r1-k3"); 4977 ok, 0 timed out, 0 refused, 493.4 ops/s; ' +
        "p50 14.2 ms, p99 44.5 ms, max wait 75.5 ms; 8 clients, 10.09 s; /tmp/h.jsonl",
    );
  });
});

describe("the model folds load events", () => {
  it("shows a run from its start and replaces it with its verdict", () => {
    const dashboard = model();
    dashboard.onEvent(running(t0));
    expect(dashboard.summary(t0).loads).toEqual([running(t0)]);
    dashboard.onEvent(finished(t0 + 11_000));
    const summary = dashboard.summary(t0 + 11_000);
    expect(summary.loads).toEqual([finished(t0 + 11_000)]);
    // The load is not a node of the cluster.
    expect(summary.nodes).toEqual([]);
    const logged = summary.log.filter((entry) => entry.kind === "load");
    expect(logged.map((entry) => [entry.node, entry.bad])).toEqual([
      ["load", undefined],
      ["load", undefined],
    ]);
  });

  it("ignores a start that arrives after its verdict", () => {
    const dashboard = model();
    dashboard.onEvent(finished(t0 + 11_000));
    dashboard.onEvent(running(t0));
    expect(dashboard.summary(t0 + 11_000).loads).toEqual([finished(t0 + 11_000)]);
  });

  it("keeps the run heard of last at the end, and at most loadRunsMax runs", () => {
    const dashboard = model();
    dashboard.onEvent(running(t0, "a"));
    dashboard.onEvent(running(t0 + 1, "b"));
    dashboard.onEvent(finished(t0 + 2, "a"));
    expect(dashboard.summary(t0).loads.map((run) => [run.run, run.result])).toEqual([
      ["b", "running"],
      ["a", "linearizable"],
    ]);
    for (let index = 0; index < loadRunsMax + 3; index++)
      dashboard.onEvent(finished(t0 + 10 + index, `x${index}`));
    const loads = dashboard.summary(t0).loads;
    expect(loads).toHaveLength(loadRunsMax);
    expect(loads.at(-1)?.run).toBe(`x${loadRunsMax + 2}`);
  });

  it("marks a violation and a checker that gave up in the log", () => {
    const dashboard = model();
    dashboard.onEvent({ ...finished(t0, "v"), result: "not-linearizable", key: "v-k1" });
    dashboard.onEvent({ ...finished(t0 + 1, "u"), result: "unknown" });
    const logged = dashboard.summary(t0).log.filter((entry) => entry.kind === "load");
    expect(logged.map((entry) => entry.bad)).toEqual([true, true]);
    expect(logged[0]?.text).toContain('NOT linearizable (key "v-k1")');
  });

  it("counts invalid events and logs them at most once a second", () => {
    const dashboard = model();
    const version = dashboard.version;
    dashboard.noteInvalidEvent("result: invalid option", t0);
    dashboard.noteInvalidEvent("result: invalid option", t0 + 10);
    const summary = dashboard.summary(t0);
    expect(summary.invalidEvents).toBe(2);
    expect(summary.loads).toEqual([]);
    expect(summary.log.filter((entry) => entry.kind === "rejected")).toHaveLength(1);
    expect(dashboard.version).toBeGreaterThan(version);
  });
});
