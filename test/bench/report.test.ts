// The bench's arithmetic and options: pooled rows, ratios by client count,
// the table with every protocol's rows, issue 16's and 21's goals, the failover's
// restoration time, the workload's read share, and the parsers of --clients,
// --batching and --read-share.
import { describe, expect, it } from "vitest";
import { outagesByKind, restoredAfter } from "../../src/bench/failover.js";
import { protocolFigures } from "../../src/bench/figures.js";
import { judgeGoals } from "../../src/bench/goals.js";
import { slope } from "../../src/bench/memory.js";
import { formatReport, ratioByClients, RowAccumulator } from "../../src/bench/report.js";
import { forwardSettingsProblem, parseClientCounts, parseForwardVariants } from "../../src/bench/settings.js";
import { benchMixOf, benchOps, median, parseReadShare } from "../../src/bench/workload.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import {
  BenchReport,
  type BenchRow,
  type FailoverReport,
  type ProtocolFigures,
} from "../../src/schemas/bench.js";

const row = (
  system: BenchRow["system"],
  clients: number,
  opsPerSec: number,
  p50Ms = 1,
  protocol?: string,
): BenchRow => ({
  system,
  ...(protocol === undefined ? {} : { protocol }),
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
    const accumulator = new RowAccumulator("pbkv", 16, "vr");
    accumulator.add({ ops: 300, elapsedMs: 1000, latenciesMs: [1, 2, 3], viewChanges: 1 });
    accumulator.add({ ops: 100, elapsedMs: 1000, latenciesMs: [4, 5], viewChanges: 0 });
    expect(accumulator.row()).toEqual({
      system: "pbkv",
      protocol: "vr",
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

  it("--read-share 0.9: 90% gets, the updates half puts, half appends", () => {
    expect(benchMixOf(0.9)).toEqual({
      get: 0.9,
      put: expect.closeTo(0.05, 9),
      append: expect.closeTo(0.05, 9),
    });
    expect(benchMixOf(1)).toEqual({ get: 1, put: 0, append: 0 });
    const next = benchOps(benchMixOf(0.9));
    const counts = { get: 0, put: 0, append: 0 };
    for (let n = 0; n < 20_000; n++) counts[next(0, n).f] += 1;
    expect(counts.get / 20_000).toBeCloseTo(0.9, 1);
    expect(counts.put / 20_000).toBeCloseTo(0.05, 1);
    expect(counts.append).toBeGreaterThan(0);
  });

  it("parses --read-share: a number from 0 to 1 with at most two decimals", () => {
    expect(parseReadShare("0.5")).toBe(0.5);
    expect(parseReadShare(" 0.95 ")).toBe(0.95);
    expect(parseReadShare("0")).toBe(0);
    for (const text of ["1.5", "-0.1", "abc", "", "0.333", "50%", "NaN"])
      expect(() => parseReadShare(text), text).toThrow(/--read-share: .*0 to 1/);
    expect(() => benchMixOf(2)).toThrow(/0 to 1/);
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

  it("the outage ends with the answer that ends the longest silence after the crash, not a reply already on its way", () => {
    // Crash at 1000: two replies the dead primary sent arrive at once, then nothing until the new view answers at 1180.
    expect(restoredAfter(1000, [990, 1001, 1003, 1180, 1181, 1182, 1190])).toBe(180);
    expect(restoredAfter(1000, [1150, 1151])).toBe(150);
    expect(restoredAfter(1000, [])).toBe(0);
  });

  it("reads' and updates' longest waits: medians over the rounds that answered one (a round may see no update)", () => {
    const round = failoverOf([100]).rounds[0]!;
    const rounds = [
      { ...round, readOutageMs: 20, updateOutageMs: 300 },
      { ...round, readOutageMs: 40 },
      { ...round, readOutageMs: 30, updateOutageMs: 200 },
    ];
    expect(outagesByKind(rounds)).toEqual({ readOutageMedianMs: 30, updateOutageMedianMs: 250 });
    expect(outagesByKind([{ ...round, readOutageMs: 20 }])).toEqual({ readOutageMedianMs: 20 });
    expect(outagesByKind([round])).toEqual({});
  });

  it("judges issue 16's goals from VR's figures, and says why one was not measured", () => {
    const vr = figures("vr", { "1": 0.7, "64": 0.85 }, failoverOf([210, 330, 250]));
    const goals = judgeGoals([vr, figures("pb", {}, null)]).filter((goal) => goal.issue === 16);
    expect(goals.map((goal) => [goal.name, goal.value, goal.met])).toEqual([
      ["vr-throughput", 0.85, true],
      ["vr-failover", 250, true],
    ]);
    const slow = judgeGoals([figures("pb", {}, null), figures("vr", { "64": 0.79 }, failoverOf([301]))]);
    expect(slow.filter((goal) => goal.issue === 16).map((goal) => goal.met)).toEqual([false, false]);
    const alone = judgeGoals([figures("vr", {}, null)]);
    expect(alone.map((goal) => goal.notMeasured)).toEqual([
      "pb not measured (--protocols)",
      "no failover rounds",
    ]);
    expect(judgeGoals([figures("pb", {}, null)]).filter((goal) => goal.issue === 16)).toEqual([]);
    expect(judgeGoals([figures("chain", {}, null)])).toEqual([]);
  });

  it("judges issue 21's goals: pb's p50 over raw at one client, its ops/s over raw at 64 and over etcd at 64 and 1", () => {
    const pb = figures("pb", {}, null);
    pb.rows = [row("pbkv", 1, 800), row("pbkv", 64, 9000)];
    pb.ratios.p50OverRaw = { "1": 1.2, "64": 1.5 };
    pb.ratios.overRaw = { "1": 0.7, "64": 1.19 };
    const etcd = [row("etcd", 1, 600), row("etcd", 64, 4500), row("redis", 64, 1)];
    const goals = judgeGoals([pb], etcd);
    expect(goals.map((goal) => [goal.issue, goal.name, goal.value, goal.met])).toEqual([
      [21, "pb-latency-over-raw", 1.2, true], // at most 1.2: the bound itself is met
      [21, "pb-throughput-over-raw", 1.19, false],
      [21, "pb-over-etcd-64", 2, true],
      [21, "pb-over-etcd-1", 1.33, true],
    ]);
    expect(goals.map((goal) => goal.comparison)).toEqual(["atMost", "atLeast", "atLeast", "atLeast"]);
    const slower = judgeGoals([pb], [row("etcd", 1, 700), row("etcd", 64, 4600)]);
    expect(slower.slice(2).map((goal) => [goal.value, goal.met])).toEqual([
      [1.96, false],
      [1.14, false],
    ]);
  });

  it("says why an issue 21 goal was not measured: no such client count, or no etcd", () => {
    const pb = figures("pb", {}, null);
    pb.rows = [row("pbkv", 16, 5000)];
    pb.ratios.p50OverRaw = { "16": 1.1 };
    const goals = judgeGoals([pb], [row("etcd", 16, 500)]);
    expect(goals.map((goal) => [goal.value, goal.met, goal.notMeasured])).toEqual([
      [null, null, "no 1-client rows (--clients)"],
      [null, null, "no 64-client rows (--clients)"],
      [null, null, "no 64-client rows (--clients)"],
      [null, null, "no 1-client rows (--clients)"],
    ]);
    expect(
      judgeGoals([pb])
        .slice(2)
        .map((goal) => goal.notMeasured),
    ).toEqual(["etcd not measured (--peers)", "etcd not measured (--peers)"]);
  });

  it("formats a report that satisfies the schema as a table, every protocol's rows, ratios, failover and goals", () => {
    const pbRows = [
      row("ceiling", 1, 1000, 1, "pb"),
      row("unreplicated", 1, 2000, 0.5, "pb"),
      row("pbkv", 1, 900, 1.1, "pb"),
    ];
    const vrRows = [
      row("ceiling", 1, 800, 1.2, "vr"),
      row("unreplicated", 1, 1800, 0.6, "vr"),
      row("pbkv", 1, 720, 1.3, "vr"),
    ];
    const pbFailover = failoverOf([250]);
    const pb = { ...figures("pb", {}, pbFailover), rows: pbRows };
    pb.ratios.p50OverRaw = { "1": 1.57 };
    const vr = { ...figures("vr", { "1": 0.8 }, failoverOf([180])), rows: vrRows };
    const report = BenchReport.parse({
      quick: true,
      setup: {
        clusters: ["bench-x-raw", "bench-x-pb-ceiling", "bench-x-pb-unreplicated", "bench-x-pb"],
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
        protocols: ["pb", "vr"],
      },
      rows: [row("raw", 1, 1500, 0.7), ...pbRows],
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
      failover: pbFailover,
      memory: null,
      protocols: [pb, vr],
      goals: judgeGoals([pb, vr]),
      machine: { cpus: 2, loadAverageStart: 1.5, loadAverageEnd: 2.25 },
      wallSeconds: 12.3,
    });
    const text = formatReport(report);
    expect(text).toContain("vr / pb (ops/s)                1 clients: 0.80");
    expect(text).toMatch(/unreplicated\s+pb\s+1\s+2000\s+0\.50\s+1\.50\s+0/);
    expect(text).toMatch(/pbkv\s+vr\s+1\s+720\s+1\.30/);
    expect(text).toMatch(
      /failover \(vr\)(.|\n)*crash to the first operation the new view answered\): median 180 ms/,
    );
    expect(text).toContain(
      "issue 16, vr / pb ops/s at 64 clients: not measured (no 64-client rows (--clients); goal ≥ 0.8)",
    );
    expect(text).toMatch(/issue 21, pb \/ raw p50 at 1 client: 1\.57 \(goal ≤ 1\.2\): NOT MET/);
    expect(text).toMatch(/vr median failover outage.*: 180 \(goal ≤ 300\): met/);
    expect(text).toContain("on 2 CPUs; load average 1.5 at the start, 2.25 at the end");
  });

  it("chain's failover: one report per position, the head's also as its failover, each formatted with read and update waits", () => {
    const chain = protocolNamed("chain");
    const pb = protocolNamed("pb");
    const [head, middle, tail] = (["head", "middle", "tail"] as const).map((position, index) => ({
      ...failoverOf([100 + index]),
      position,
      readOutageMedianMs: 10 + index,
      updateOutageMedianMs: 300 + index,
    }));
    const input = { servers: 4, ceiling: [], unreplicated: [], main: [], raw: [], others: [] };
    const chainFigures = protocolFigures({
      ...input,
      run: { protocol: chain, config: chain.config.defaults },
      failovers: [head!, middle!, tail!],
    });
    expect(chainFigures.failover).toEqual(head);
    expect(chainFigures.failoverByPosition?.map((report) => report.position)).toEqual([
      "head",
      "middle",
      "tail",
    ]);
    const pbFigures = protocolFigures({
      ...input,
      run: { protocol: pb, config: pb.config.defaults },
      failovers: [],
    });
    expect(pbFigures.failover).toBeNull();
    expect(pbFigures.failoverByPosition).toBeUndefined();

    const text = formatReport(BenchReport.parse({ ...reportOf([chainFigures]), failover: head }));
    expect(text).toMatch(/failover \(chain\): 1 crash\(es\) of the head(.|\n)*median 10 ms, 300 ms/);
    expect(text).toMatch(/crash\(es\) of the middle(.|\n)*crash\(es\) of the tail/);
    expect(text).toContain("90% get, 5% put, 5% append over 100 keys");
  });
});

/** A report of these protocols' sections alone (no rows), its setup at --read-share 0.9. */
function reportOf(protocols: ProtocolFigures[]): Record<string, unknown> {
  return {
    quick: true,
    setup: {
      clusters: ["bench-x-chain"],
      clientsIn: "the bench process",
      pbkvServers: 4,
      clientRetryMs: 100,
      keys: 100,
      mix: benchMixOf(0.9),
      warmupMs: 300,
      windowMs: 1000,
      rounds: 1,
      protocols: protocols.map((figures) => figures.protocol),
    },
    rows: [],
    ratios: {
      pbkvOverRaw: {},
      pbkvOverCeiling: {},
      pbkvOverEtcd: {},
      pbkvOverRedis: {},
      pbkvOverUnreplicated: {},
      p50PbkvOverCeiling: {},
      p50PbkvOverRaw: {},
    },
    batching: [],
    failover: null,
    memory: null,
    protocols,
    goals: [],
    machine: { cpus: 2, loadAverageStart: 1, loadAverageEnd: 1 },
    wallSeconds: 1,
  };
}

/** A protocol's section with only what the goals read. */
function figures(
  protocol: string,
  overPb: Record<string, number>,
  failover: FailoverReport | null,
): ProtocolFigures {
  return {
    protocol,
    servers: 3,
    settings: { clientRetryMs: 100 },
    rows: [],
    ratios: {
      overRaw: {},
      overCeiling: {},
      overUnreplicated: {},
      p50OverCeiling: {},
      p50OverRaw: {},
      overProtocols: protocol === "pb" ? {} : { pb: overPb },
    },
    failover,
  };
}

function failoverOf(restoredMs: number[]): FailoverReport {
  const sorted = [...restoredMs].sort((a, b) => a - b);
  const medianMs = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return {
    clients: 16,
    outagesMs: restoredMs,
    medianMs,
    maxMs: Math.max(...restoredMs),
    viewAckedMedianMs: medianMs,
    viewAckedMaxMs: Math.max(...restoredMs),
    restoredMedianMs: medianMs,
    restoredMaxMs: Math.max(...restoredMs),
    rounds: restoredMs.map((ms) => ({
      crashed: "server-1",
      promoted: "server-2",
      outageMs: ms,
      restoredMs: ms,
      newViewMs: ms,
      viewAckedMs: ms,
    })),
  };
}
