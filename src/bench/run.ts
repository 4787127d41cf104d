// `npm run bench`: the ceiling, unreplicated and pbkv (and, for the batching
// comparison, pbkv with other forwarding settings), each on a cluster of its
// own with each actor in its own process, driven by the same client actors
// in this process. One cluster runs at a time, measured at every client
// count, then stopped; with several rounds the order alternates and the
// windows are pooled. Failover and memory run on pbkv in the last round.
import os from "node:os";
import { configNumber } from "../protocols/configOptions.js";
import type {
  BatchingVariant,
  BenchReport,
  BenchRow,
  FailoverReport,
  ForwardSettings,
  MemoryReport,
} from "../schemas/bench.js";
import { ClosedLoop, type WindowResult } from "./closedLoop.js";
import { BenchCluster, type BenchClusterSpec, type BenchEnvironment, sleep } from "./cluster.js";
import { startEtcd } from "./peerEtcd.js";
import { startRedis } from "./peerRedis.js";
import type { PeerSpec, PeerTarget } from "./peers.js";
import { RawRelay } from "./rawRelay.js";
import { runFailover } from "./failover.js";
import { MemoryTracker } from "./memory.js";
import type { Progress } from "./progress.js";
import { RowAccumulator, ratioByClients } from "./report.js";
import { benchKeyCount, benchMix, benchOps, type NextOp, roundTo } from "./workload.js";

export interface BenchOptions extends BenchEnvironment {
  quick: boolean;
  clientCounts: number[];
  /** Load on each new cluster before its first row (JIT, connections), not measured. */
  initialWarmupMs: number;
  warmupMs: number;
  windowMs: number;
  rounds: number;
  pbkvServers: number;
  forward: ForwardSettings;
  /** Forwarding settings for the batching comparison (empty: none). */
  variants: ForwardSettings[];
  /** What users would pick instead, measured beside pbkv (empty: none). */
  peers: PeerSpec[];
  failoverRounds: number;
  failoverClients: number;
  /** 0: no million-operation run. */
  memoryOps: number;
  memoryClients: number;
  readyTimeoutMs: number;
  progress: Progress;
  /** Every cluster started is added here, so a signal handler can stop it. */
  clusters: Set<BenchTarget>;
}

/** What a row is measured on: a cluster of the project's runtime, or the raw relay. */
export type BenchTarget = BenchCluster | RawRelay | PeerTarget;

/** During the million-op run, a memory sample this often. */
const memorySampleEveryOps = 100_000;
const failoverRoundTimeoutMs = 15_000;
const progressTickMs = 200;

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedMs = performance.now();
  const loadAverageStart = os.loadavg()[0] ?? 0;
  const nextOp = benchOps();
  const clusterNames: string[] = [];
  const main = pbkvSpec(options.forward, options.pbkvServers, "pbkv");
  const variants = options.variants
    .filter((forward) => forwardKey(forward) !== forwardKey(options.forward))
    .map((forward) => pbkvSpec(forward, options.pbkvServers, `pbkv-${forwardKey(forward)}`));
  const systems: BenchClusterSpec[] = [
    { system: "raw", label: "raw", servers: 2, actors: "raw", forward: options.forward },
    ...ceilingSpecs(options),
    { system: "unreplicated", label: "unreplicated", servers: 1, actors: "pbkv", forward: options.forward },
    ...options.peers.map((peer): BenchClusterSpec => ({
      system: peer.system,
      label: peer.system,
      servers: 0,
      actors: peer.system,
      forward: options.forward,
    })),
    ...variants,
    main,
  ];
  const accumulators = new Map<string, RowAccumulator>();
  const keyOf = (label: string, clients: number): string => `${label} ${clients}`;
  let failover: FailoverReport | null = null;
  let memory: MemoryReport | null = null;

  for (let round = 1; round <= options.rounds; round++) {
    // Every other round backwards, so that a slow stretch of the machine does not always hit the
    // same system; the last round forwards, so that pbkv's failover and memory runs come last.
    const order = (options.rounds - round) % 2 === 0 ? systems : [...systems].reverse();
    for (const spec of order) {
      const roundText = options.rounds > 1 ? `round ${round}/${options.rounds}: ` : "";
      await withCluster(spec, `${roundText}${spec.label}`, options, clusterNames, async (cluster) => {
        const isLast = spec === main && round === options.rounds;
        const tracker = isLast && cluster instanceof BenchCluster ? new MemoryTracker(cluster) : null;
        if (tracker !== null && options.memoryOps === 0) tracker.sample(0); // --quick: start and end of what ran
        for (const clients of options.clientCounts) {
          const key = keyOf(spec.label, clients);
          const accumulator = accumulators.get(key) ?? new RowAccumulator(spec.system, clients);
          accumulators.set(key, accumulator);
          const label = `${roundText}${spec.label}, ${clients} client${clients === 1 ? "" : "s"}`;
          accumulator.add(
            await drive(cluster, clients, nextOp, options.warmupMs, options.windowMs, label, options),
          );
        }
        if (tracker === null || !(cluster instanceof BenchCluster)) return;
        failover = await failoverOf(cluster, nextOp, options);
        if (options.memoryOps > 0) await millionOpRun(cluster, tracker, nextOp, options);
        else tracker.sample(cluster.servedOps);
        memory = tracker.report(options.memoryOps > 0);
      });
    }
  }

  const rowsOfLabel = (label: string): BenchRow[] =>
    options.clientCounts.flatMap((clients) => accumulators.get(keyOf(label, clients))?.row() ?? []);
  const rows = options.clientCounts.flatMap((clients) =>
    ["raw", "ceiling", "unreplicated", "etcd", "redis", "pbkv"].flatMap(
      (label) => accumulators.get(keyOf(label, clients))?.row() ?? [],
    ),
  );
  const ceilingRows = rowsOfLabel("ceiling");
  const pbkvRows = rowsOfLabel("pbkv");
  const batching: BatchingVariant[] =
    variants.length === 0
      ? []
      : [main, ...variants]
          .map((spec) => {
            const variantRows = rowsOfLabel(spec.label);
            const pbkvOverCeiling = ratioByClients(variantRows, ceilingRows, (row) => row.opsPerSec);
            return { ...spec.forward, rows: variantRows, pbkvOverCeiling };
          })
          .sort((a, b) => a.forwardBatchMax - b.forwardBatchMax || a.forwardWindow - b.forwardWindow);
  options.progress.clear();
  return {
    quick: options.quick,
    setup: {
      clusters: clusterNames,
      clientsIn: "the bench process (one connection per cluster)",
      pbkvServers: options.pbkvServers,
      ...options.forward,
      // The report's setup names pb's timings (its format predates other protocols).
      pingMs: configNumber(options.config, "pingMs"),
      pingCheckMs: configNumber(options.config, "pingCheckMs"),
      clientRetryMs: options.config.clientRetryMs,
      keys: benchKeyCount,
      mix: { ...benchMix },
      warmupMs: options.warmupMs,
      windowMs: options.windowMs,
      rounds: options.rounds,
    },
    rows,
    ratios: {
      pbkvOverRaw: ratioByClients(pbkvRows, rowsOfLabel("raw"), (row) => row.opsPerSec),
      pbkvOverEtcd: ratioByClients(pbkvRows, rowsOfLabel("etcd"), (row) => row.opsPerSec),
      pbkvOverRedis: ratioByClients(pbkvRows, rowsOfLabel("redis"), (row) => row.opsPerSec),
      pbkvOverCeiling: ratioByClients(pbkvRows, ceilingRows, (row) => row.opsPerSec),
      pbkvOverUnreplicated: ratioByClients(pbkvRows, rowsOfLabel("unreplicated"), (row) => row.opsPerSec),
      p50PbkvOverCeiling: ratioByClients(pbkvRows, ceilingRows, (row) => row.p50Ms),
      p50PbkvOverRaw: ratioByClients(pbkvRows, rowsOfLabel("raw"), (row) => row.p50Ms),
    },
    batching,
    failover,
    memory,
    machine: {
      cpus: os.cpus().length,
      loadAverageStart: roundTo(loadAverageStart, 2),
      loadAverageEnd: roundTo(os.loadavg()[0] ?? 0, 2),
    },
    wallSeconds: roundTo((performance.now() - startedMs) / 1000, 1),
  };
}

/** The protocol's ceiling (its relay actors), when it has one. */
function ceilingSpecs(options: BenchOptions): BenchClusterSpec[] {
  const relay = options.protocol.bench.relay;
  if (relay === null) return [];
  return [
    {
      system: "ceiling",
      label: "ceiling",
      servers: relay.servers,
      actors: "relay",
      forward: options.forward,
    },
  ];
}

function pbkvSpec(forward: ForwardSettings, servers: number, label: string): BenchClusterSpec {
  return { system: "pbkv", label, servers, actors: "pbkv", forward };
}

function forwardKey(forward: ForwardSettings): string {
  return `b${forward.forwardBatchMax}w${forward.forwardWindow}`;
}

/**
 * Runs `use` on a fresh cluster, the only one of the bench running: an idle
 * pbkv cluster still pings (about a fifth of a core here, broker included),
 * which would weigh on whatever is measured next to it. The cluster is ready
 * and warmed up when `use` starts, and stopped and deleted afterwards.
 */
async function withCluster(
  spec: BenchClusterSpec,
  label: string,
  options: BenchOptions,
  names: string[],
  use: (cluster: BenchTarget) => Promise<void>,
): Promise<void> {
  options.progress.show(`${label}: starting`, 0, "", true);
  const cluster = await startTarget(spec, options);
  options.clusters.add(cluster);
  names.push(cluster.names.cluster);
  try {
    await cluster.ready(options.readyTimeoutMs);
    if (options.initialWarmupMs > 0) {
      const clients = Math.max(...options.clientCounts);
      await drive(cluster, clients, benchOps(), 0, options.initialWarmupMs, `${label}: warm-up`, options);
    }
    await use(cluster);
  } finally {
    options.progress.show(`${label}: stopping`, 1, "", true);
    options.clusters.delete(cluster);
    await cluster.stop();
  }
}

function startTarget(spec: BenchClusterSpec, options: BenchOptions): Promise<BenchTarget> {
  const name = `${options.prefix}-${spec.label}`;
  switch (spec.actors) {
    case "raw":
      return RawRelay.start(name, options.url, options.readyTimeoutMs);
    case "etcd":
      return startEtcd(name, options.readyTimeoutMs);
    case "redis":
      return startRedis(name, options.readyTimeoutMs);
    case "pbkv":
    case "relay":
      return BenchCluster.start(spec, options);
  }
}

async function failoverOf(
  cluster: BenchCluster,
  nextOp: NextOp,
  options: BenchOptions,
): Promise<FailoverReport | null> {
  if (options.failoverRounds === 0) return null;
  return runFailover(cluster, {
    rounds: options.failoverRounds,
    clients: options.failoverClients,
    nextOp,
    opTimeoutMs: options.opTimeoutMs,
    steadyMs: options.quick ? 200 : 1_000,
    roundTimeoutMs: failoverRoundTimeoutMs,
    progress: options.progress,
  });
}

/** Closed-loop load on one cluster: `warmupMs` unmeasured, then a `windowMs` window. */
async function drive(
  cluster: BenchTarget,
  clients: number,
  nextOp: NextOp,
  warmupMs: number,
  windowMs: number,
  label: string,
  options: BenchOptions,
): Promise<WindowResult> {
  await cluster.pool.ensure(clients);
  const eventsFrom = cluster.events.length;
  const loop = new ClosedLoop({
    pool: cluster.pool,
    workers: clients,
    nextOp,
    opTimeoutMs: options.opTimeoutMs,
  });
  const startedMs = performance.now();
  const totalMs = warmupMs + windowMs;
  const ticker = setInterval(() => {
    const elapsedMs = performance.now() - startedMs;
    const rate = elapsedMs > 0 ? Math.round((loop.completedOps / elapsedMs) * 1000) : 0;
    options.progress.show(label, elapsedMs / totalMs, `${loop.completedOps} ops, ${rate} ops/s`);
  }, progressTickMs);
  loop.start();
  try {
    await sleep(warmupMs);
    loop.startMeter();
    await sleep(windowMs);
    return { ...loop.endMeter(), viewChanges: cluster.viewChangesSince(eventsFrom) };
  } finally {
    clearInterval(ticker);
    await loop.stop();
    cluster.servedOps += loop.completedOps;
    if (loop.timedOutOps > 0) {
      options.progress.note(
        `${label}: ${loop.timedOutOps} operation(s) timed out after ${options.opTimeoutMs} ms`,
      );
    }
    cluster.assertHealthy();
  }
}

/** `memoryOps` operations on pbkv; the servers' RSS at the start, every 100,000 operations and at the end. */
async function millionOpRun(
  cluster: BenchCluster,
  memory: MemoryTracker,
  nextOp: NextOp,
  options: BenchOptions,
): Promise<void> {
  const clients = options.memoryClients;
  await cluster.pool.ensure(clients);
  const loop = new ClosedLoop({
    pool: cluster.pool,
    workers: clients,
    nextOp,
    opTimeoutMs: options.opTimeoutMs,
  });
  const total = options.memoryOps.toLocaleString("en-US");
  const label = `memory: ${total} ops, ${clients} clients`;
  memory.sample(0);
  const startedMs = performance.now();
  loop.start();
  let nextSampleOps = memorySampleEveryOps;
  try {
    while (loop.completedOps < options.memoryOps) {
      await sleep(progressTickMs);
      cluster.assertHealthy();
      const done = loop.completedOps;
      const rate = Math.round((done / (performance.now() - startedMs)) * 1000);
      options.progress.show(label, done / options.memoryOps, `${done} ops, ${rate} ops/s`);
      if (done < nextSampleOps || done >= options.memoryOps) continue;
      const sample = memory.sample(done);
      nextSampleOps += memorySampleEveryOps;
      const rss = Object.entries(sample.rssMb).map(([node, mb]) => `${node} ${mb}`);
      options.progress.note(
        `memory: ${done.toLocaleString("en-US")} of ${total} ops (${rate} ops/s); RSS MB ${rss.join(", ")}`,
      );
    }
  } finally {
    await loop.stop();
    cluster.servedOps += loop.completedOps;
  }
  memory.sample(loop.completedOps);
}
