// The bench's arithmetic and options: pooled rows, ratios by client count,
// the table, and the parsers of --clients and --batching.
import { describe, expect, it } from "vitest";
import { slope } from "../../src/bench/memory.js";
import { formatReport, ratioByClients, RowAccumulator } from "../../src/bench/report.js";
import { forwardSettingsProblem, parseClientCounts, parseForwardVariants } from "../../src/bench/settings.js";
import { benchOps, median } from "../../src/bench/workload.js";
import { BenchReport, type BenchRow } from "../../src/schemas/bench.js";

const row = (system: BenchRow["system"], clients: number, opsPerSec: number, p50Ms = 1): BenchRow => ({
  system,
  clients,
  opsPerSec,
  p50Ms,
  p99Ms: p50Ms * 3,
  ops: opsPerSec,
  windowMs: 1000,
  viewChanges: 0,
});

describe("bench figures", () => {
  it("pools the windows of a row: ops over total time, percentiles over every latency", () => {
    const accumulator = new RowAccumulator("pbkv", 16);
    accumulator.add({ ops: 300, elapsedMs: 1000, latenciesMs: [1, 2, 3], viewChanges: 1 });
    accumulator.add({ ops: 100, elapsedMs: 1000, latenciesMs: [4, 5], viewChanges: 0 });
    expect(accumulator.row()).toEqual({
      system: "pbkv",
      clients: 16,
      opsPerSec: 200,
      p50Ms: 3,
      p99Ms: 5,
      ops: 400,
      windowMs: 2000,
      viewChanges: 1,
    });
  });

  it("ratios are keyed by client count, for the counts both sides have", () => {
    const pbkv = [row("pbkv", 1, 90), row("pbkv", 16, 300), row("pbkv", 64, 500)];
    const ceiling = [row("ceiling", 1, 100), row("ceiling", 16, 0)];
    expect(ratioByClients(pbkv, ceiling, (r) => r.opsPerSec)).toEqual({ "1": 0.9, "16": 0 });
  });

  it("the memory trend is the least-squares slope, and 0 with too few samples", () => {
    const points = [0, 1, 2, 3].map((step) => ({ ops: step * 100_000, mb: 100 + step * 2 }));
    expect(slope(points) * 1_000_000).toBeCloseTo(20);
    expect(slope(points.slice(0, 2))).toBe(0);
  });

  it("the median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("the workload is 50% get, 25% put, 25% append over 100 small keys", () => {
    const next = benchOps();
    const counts = { get: 0, put: 0, append: 0 };
    const keys = new Set<string>();
    let valueLengthMax = 0;
    for (let n = 0; n < 20_000; n++) {
      const op = next(3, n);
      counts[op.f] += 1;
      keys.add(op.key);
      if (op.f !== "get") valueLengthMax = Math.max(valueLengthMax, op.value.length);
    }
    expect(valueLengthMax).toBeLessThan(16);
    expect(counts.get / 20_000).toBeCloseTo(0.5, 1);
    expect(counts.put / 20_000).toBeCloseTo(0.25, 1);
    expect(keys.size).toBe(100);
  });

  it("parses --clients and --batching, and refuses what the servers would", () => {
    expect(parseClientCounts("1,16,64,16", 256)).toEqual([1, 16, 64]);
    expect(() => parseClientCounts("0", 256)).toThrow(/1-256/);
    expect(parseForwardVariants("1x1, 64x4")).toEqual([
      { forwardBatchMax: 1, forwardWindow: 1 },
      { forwardBatchMax: 64, forwardWindow: 4 },
    ]);
    expect(parseForwardVariants("none")).toEqual([]);
    expect(() => parseForwardVariants("65x1")).toThrow(/forwardBatchMax/);
    expect(() => parseForwardVariants("64-1")).toThrow(/64x4/);
    expect(forwardSettingsProblem({ forwardBatchMax: 64, forwardWindow: 65 })).toMatch(/forwardWindow/);
  });

  it("formats a report that satisfies the schema as a table", () => {
    const report = BenchReport.parse({
      quick: true,
      setup: {
        clusters: ["bench-x-ceiling", "bench-x-unreplicated", "bench-x-pbkv"],
        clientsIn: "the bench process",
        pbkvServers: 3,
        forwardBatchMax: 64,
        forwardWindow: 1,
        pingMs: 25,
        pingCheckMs: 100,
        clientRetryMs: 100,
        keys: 100,
        mix: { get: 0.5, put: 0.25, append: 0.25 },
        warmupMs: 300,
        windowMs: 1000,
        rounds: 1,
      },
      rows: [
        row("raw", 1, 1500, 0.7),
        row("ceiling", 1, 1000, 1),
        row("unreplicated", 1, 2000, 0.5),
        row("pbkv", 1, 900, 1.1),
      ],
      ratios: {
        pbkvOverRaw: { "1": 0.6 },
        pbkvOverCeiling: { "1": 0.9 },
        pbkvOverEtcd: {},
        pbkvOverRedis: {},
        pbkvOverUnreplicated: { "1": 0.45 },
        p50PbkvOverCeiling: { "1": 1.1 },
        p50PbkvOverRaw: { "1": 1.57 },
      },
      batching: [],
      failover: {
        clients: 16,
        outagesMs: [250],
        medianMs: 250,
        maxMs: 250,
        viewAckedMedianMs: 180,
        viewAckedMaxMs: 180,
        rounds: [
          { crashed: "server-1", promoted: "server-2", outageMs: 250, newViewMs: 150, viewAckedMs: 180 },
        ],
      },
      memory: null,
      machine: { cpus: 2, loadAverageStart: 1.5, loadAverageEnd: 2.25 },
      wallSeconds: 12.3,
    });
    const text = formatReport(report);
    expect(text).toContain("pbkv / ceiling (ops/s)        1 clients: 0.90");
    expect(text).toMatch(/unreplicated\s+1\s+2000\s+0\.50\s+1\.50\s+0/);
    expect(text).toMatch(/client-observed outage .*: median 250 ms, max 250 ms/);
    expect(text).toContain("on 2 CPUs; load average 1.5 at the start, 2.25 at the end");
  });
});
