// `npm run bench`: the raw relay, and for each protocol of `--protocols` its
// ceiling, its unreplicated cluster and its replicated cluster (pbkv), and
// for the batching comparison pb with other forwarding settings, each on a
// cluster of its own with each actor in its own process, driven by the same
// client actors in this process. One cluster runs at a time, measured at
// every client count, then stopped; with several rounds the order alternates
// and the windows are pooled. Each protocol's failover rounds, the first
// protocol's memory run and, for a protocol whose group changes at run time
// (VR), its reconfiguration rounds come in the last round.
import os from "node:os";
import type {
  BatchingVariant,
  BenchReport,
  BenchRow,
  FailoverReport,
  ForwardSettings,
  MemoryReport,
  ReconfigurationReport,
} from "../schemas/bench.js";
import { ClosedLoop, type WindowResult } from "./closedLoop.js";
import {
  BenchCluster,
  type BenchClusterSpec,
  type BenchEnvironment,
  type ProtocolRun,
  sleep,
} from "./cluster.js";
import { judgeGoals } from "./goals.js";
import { startEtcd } from "./peerEtcd.js";
import { startRedis } from "./peerRedis.js";
import type { PeerSpec, PeerTarget } from "./peers.js";
import { RawRelay } from "./rawRelay.js";
import { runFailover } from "./failover.js";
import { MemoryTracker } from "./memory.js";
import { runReconfigurations } from "./reconfig.js";
import type { Progress } from "./progress.js";
import { protocolFigures, setupOf } from "./figures.js";
import { RowAccumulator, ratioByClients } from "./report.js";
import { forwardOf, forwardKey, withForward } from "./settings.js";
import { type BenchMix, benchOps, type NextOp, roundTo } from "./workload.js";

export interface BenchOptions extends BenchEnvironment {
  quick: boolean;
  /** The protocols measured, each with its configuration; the first also gets the memory run. */
  protocols: ProtocolRun[];
  clientCounts: number[];
  /** The shares of get, put and append (`--read-share`). */
  mix: BenchMix;
  /** Load on each new cluster before its first row (JIT, connections), not measured. */
  initialWarmupMs: number;
  warmupMs: number;
  windowMs: number;
  rounds: number;
  /** Forwarding settings for the batching comparison (empty: none), on the protocols that have them (pb). */
  variants: ForwardSettings[];
  /** What users would pick instead, measured beside pbkv (empty: none). */
  peers: PeerSpec[];
  failoverRounds: number;
  failoverClients: number;
  /** Reconfigurations per protocol whose group changes at run time (VR); 0: none. Run with `failoverClients`. */
  reconfigRounds: number;
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

/** The clusters of one protocol: its replicated cluster (`main`) and the rest, by role. */
interface ProtocolPlan {
  run: ProtocolRun;
  main: BenchClusterSpec;
  ceiling: BenchClusterSpec | null;
  unreplicated: BenchClusterSpec | null;
  /** pb with other forwarding settings (`--batching`); empty for a protocol without them. */
  variants: BenchClusterSpec[];
}

/** During the million-op run, a memory sample this often. */
const memorySampleEveryOps = 100_000;
const failoverRoundTimeoutMs = 15_000;
/** A reconfiguration round starts a replica process first (a few seconds on a loaded machine). */
const reconfigRoundTimeoutMs = 30_000;
const progressTickMs = 200;

/** What the rounds measured: rows by cluster label, each protocol's failovers (by position), the first protocol's memory. */
interface Measurements {
  rowsOf(label: string | undefined): BenchRow[];
  failovers: Map<string, FailoverReport[]>;
  reconfigurations: Map<string, ReconfigurationReport>;
  memory: MemoryReport | null;
  clusterNames: string[];
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedMs = performance.now();
  const loadAverageStart = os.loadavg()[0] ?? 0;
  const plans = options.protocols.map((run) => planOf(run, options));
  const measurements = await measureAll(plans, options);
  options.progress.clear();
  return {
    ...reportOf(plans, measurements, options),
    machine: {
      cpus: os.cpus().length,
      loadAverageStart: roundTo(loadAverageStart, 2),
      loadAverageEnd: roundTo(os.loadavg()[0] ?? 0, 2),
    },
    wallSeconds: roundTo((performance.now() - startedMs) / 1000, 1),
  };
}

/**
 * Every cluster, one at a time, each row at every client count, `rounds`
 * times; the last round's replicated clusters also run the failover rounds,
 * the first protocol's the memory run.
 */
async function measureAll(plans: ProtocolPlan[], options: BenchOptions): Promise<Measurements> {
  const nextOp = benchOps(options.mix);
  const systems: BenchClusterSpec[] = [
    { system: "raw", label: "raw", servers: 2, actors: "raw", run: null },
    ...plans.flatMap((plan) => [plan.ceiling, plan.unreplicated].filter((spec) => spec !== null)),
    ...options.peers.map((peer): BenchClusterSpec => ({
      system: peer.system,
      label: peer.system,
      servers: 0,
      actors: peer.system,
      run: null,
    })),
    ...plans.flatMap((plan) => plan.variants),
    ...plans.map((plan) => plan.main),
  ];
  const accumulators = new Map<string, RowAccumulator>();
  const measurements: Measurements = {
    rowsOf: (label) =>
      label === undefined
        ? []
        : options.clientCounts.flatMap((clients) => accumulators.get(`${label} ${clients}`)?.row() ?? []),
    failovers: new Map(),
    reconfigurations: new Map(),
    memory: null,
    clusterNames: [],
  };
  for (let round = 1; round <= options.rounds; round++) {
    // Every other round backwards, so that a slow stretch of the machine does not always hit the
    // same system; the last round forwards, so that the failover and memory runs come last.
    const order = (options.rounds - round) % 2 === 0 ? systems : [...systems].reverse();
    const roundText = options.rounds > 1 ? `round ${round}/${options.rounds}: ` : "";
    for (const spec of order) {
      const label = `${roundText}${spec.label}`;
      await withCluster(spec, label, options, measurements.clusterNames, async (cluster) => {
        const plan =
          round === options.rounds ? plans.find((candidate) => candidate.main === spec) : undefined;
        const main = plan !== undefined && cluster instanceof BenchCluster ? cluster : null;
        const tracker = main !== null && plan === plans[0] ? new MemoryTracker(main) : null;
        if (tracker !== null && options.memoryOps === 0) tracker.sample(0); // --quick: start and end of what ran
        for (const clients of options.clientCounts) {
          const key = `${spec.label} ${clients}`;
          const accumulator =
            accumulators.get(key) ?? new RowAccumulator(spec.system, clients, spec.run?.protocol.name);
          accumulators.set(key, accumulator);
          const rowLabel = `${label}, ${clients} client${clients === 1 ? "" : "s"}`;
          accumulator.add(
            await drive(cluster, clients, nextOp, options.warmupMs, options.windowMs, rowLabel, options),
          );
        }
        if (main === null) return;
        measurements.failovers.set(spec.label, await failoversOf(main, nextOp, options));
        if (tracker !== null) {
          if (options.memoryOps > 0) await millionOpRun(main, tracker, nextOp, options);
          else tracker.sample(main.servedOps);
          measurements.memory = tracker.report(options.memoryOps > 0);
        }
        // Last: a reconfiguration changes the servers (the memory run's, the failovers' group).
        const reconfiguration = await reconfigurationsOf(main, nextOp, options);
        if (reconfiguration !== null) measurements.reconfigurations.set(spec.label, reconfiguration);
      });
    }
  }
  return measurements;
}

/** The report but the machine: every protocol's section, and the v1 fields from the first protocol. */
function reportOf(
  plans: ProtocolPlan[],
  measurements: Measurements,
  options: BenchOptions,
): Omit<BenchReport, "machine" | "wallSeconds"> {
  const { rowsOf } = measurements;
  const first = plans[0];
  if (first === undefined) throw new Error("the bench measures at least one protocol");
  const rawRows = rowsOf("raw");
  const mainRows = plans.map((plan) => ({ protocol: plan.run.protocol.name, rows: rowsOf(plan.main.label) }));
  const protocols = plans.map((plan) =>
    protocolFigures({
      run: plan.run,
      servers: plan.main.servers,
      ceiling: rowsOf(plan.ceiling?.label),
      unreplicated: rowsOf(plan.unreplicated?.label),
      main: rowsOf(plan.main.label),
      raw: rawRows,
      others: mainRows.filter((other) => other.protocol !== plan.run.protocol.name),
      failovers: measurements.failovers.get(plan.main.label) ?? [],
      reconfiguration: measurements.reconfigurations.get(plan.main.label) ?? null,
    }),
  );
  const firstFigures = protocols[0];
  if (firstFigures === undefined) throw new Error("no figures");
  const pbkvRows = rowsOf(first.main.label);
  const peerRows = (system: string): BenchRow[] =>
    rowsOf(options.peers.some((peer) => peer.system === system) ? system : undefined);
  const systemsInOrder = [rawRows, rowsOf(first.ceiling?.label), rowsOf(first.unreplicated?.label)];
  systemsInOrder.push(peerRows("etcd"), peerRows("redis"), pbkvRows);
  const { ratios } = firstFigures;
  return {
    quick: options.quick,
    setup: setupOf(
      plans.map((plan) => plan.run),
      first.main.servers,
      measurements.clusterNames,
      options,
    ),
    rows: options.clientCounts.flatMap((clients) =>
      systemsInOrder.flatMap((rows) => rows.filter((row) => row.clients === clients)),
    ),
    ratios: {
      pbkvOverRaw: ratios.overRaw,
      pbkvOverEtcd: ratioByClients(pbkvRows, peerRows("etcd"), (row) => row.opsPerSec),
      pbkvOverRedis: ratioByClients(pbkvRows, peerRows("redis"), (row) => row.opsPerSec),
      pbkvOverCeiling: ratios.overCeiling,
      pbkvOverUnreplicated: ratios.overUnreplicated,
      p50PbkvOverCeiling: ratios.p50OverCeiling,
      p50PbkvOverRaw: ratios.p50OverRaw,
    },
    batching: batchingOf(plans, rowsOf),
    failover: firstFigures.failover,
    memory: measurements.memory,
    protocols,
    goals: judgeGoals(protocols, [...peerRows("etcd"), ...peerRows("redis")]),
  };
}

/** pb under each forwarding setting over its ceiling (the first protocol with variants). */
function batchingOf(plans: ProtocolPlan[], rowsOf: Measurements["rowsOf"]): BatchingVariant[] {
  const plan = plans.find((candidate) => candidate.variants.length > 0);
  if (plan === undefined) return [];
  const ceiling = rowsOf(plan.ceiling?.label);
  return [plan.main, ...plan.variants]
    .map((spec) => {
      const rows = rowsOf(spec.label);
      const forward = spec.run === null ? null : forwardOf(spec.run.config);
      if (forward === null) throw new Error(`${spec.label} has no forwarding settings`);
      return { ...forward, rows, pbkvOverCeiling: ratioByClients(rows, ceiling, (row) => row.opsPerSec) };
    })
    .sort((a, b) => a.forwardBatchMax - b.forwardBatchMax || a.forwardWindow - b.forwardWindow);
}

/**
 * A protocol's clusters: `<name>` (replicated, its configuration's server
 * count, else 3), `<name>-ceiling` (its relay actors, when it has them),
 * `<name>-unreplicated` (one server, `bench.unreplicated`) and, for a protocol
 * with forwarding settings (pb), `<name>-b<batch>w<window>` per other setting.
 */
function planOf(run: ProtocolRun, options: BenchOptions): ProtocolPlan {
  const { protocol, config } = run;
  const name = protocol.name;
  const relay = protocol.bench.relay;
  const unreplicatedConfig = protocol.bench.unreplicated?.(config);
  const measuredForward = forwardOf(config);
  const variants =
    measuredForward === null
      ? []
      : options.variants
          .filter((forward) => forwardKey(forward) !== forwardKey(measuredForward))
          .map((forward) =>
            pbkvSpec(`${name}-${forwardKey(forward)}`, { protocol, config: withForward(run, forward) }),
          );
  return {
    run,
    main: pbkvSpec(name, run),
    ceiling:
      relay === null
        ? null
        : { system: "ceiling", label: `${name}-ceiling`, servers: relay.servers, actors: "relay", run },
    unreplicated:
      unreplicatedConfig === undefined
        ? null
        : {
            system: "unreplicated",
            label: `${name}-unreplicated`,
            servers: 1,
            actors: "pbkv",
            run: { protocol, config: unreplicatedConfig },
          },
    variants,
  };
}

/**
 * The replicated cluster: the server count its configuration fixes (VR's
 * replicas), else the protocol's bench count (chain: its length and a
 * spare), else 3 (pb: primary, backup, a spare).
 */
function pbkvSpec(label: string, run: ProtocolRun): BenchClusterSpec {
  const { protocol, config } = run;
  const servers = protocol.config.servers?.(config) ?? protocol.bench.servers?.(config) ?? 3;
  return { system: "pbkv", label, servers, actors: "pbkv", run };
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
      await drive(
        cluster,
        clients,
        benchOps(options.mix),
        0,
        options.initialWarmupMs,
        `${label}: warm-up`,
        options,
      );
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

/** The failover rounds of the primary, or of each of the protocol's positions in turn (chain: head, middle, tail). */
async function failoversOf(
  cluster: BenchCluster,
  nextOp: NextOp,
  options: BenchOptions,
): Promise<FailoverReport[]> {
  if (options.failoverRounds === 0) return [];
  const positions = cluster.protocol.bench.failover?.positions ?? [null];
  const reports: FailoverReport[] = [];
  for (const position of positions) {
    reports.push(
      await runFailover(cluster, {
        rounds: options.failoverRounds,
        clients: options.failoverClients,
        nextOp,
        opTimeoutMs: options.opTimeoutMs,
        steadyMs: options.quick ? 200 : 1_000,
        roundTimeoutMs: failoverRoundTimeoutMs,
        progress: options.progress,
        position,
      }),
    );
  }
  return reports;
}

/** The reconfiguration rounds of a protocol whose group changes at run time (VR), or null. */
async function reconfigurationsOf(
  cluster: BenchCluster,
  nextOp: NextOp,
  options: BenchOptions,
): Promise<ReconfigurationReport | null> {
  if (options.reconfigRounds === 0 || cluster.protocol.broker.reconfiguration === undefined) return null;
  return runReconfigurations(cluster, {
    rounds: options.reconfigRounds,
    clients: options.failoverClients,
    nextOp,
    opTimeoutMs: options.opTimeoutMs,
    steadyMs: options.quick ? 500 : 1_000,
    roundTimeoutMs: reconfigRoundTimeoutMs,
    progress: options.progress,
    log: options.log,
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

/** `memoryOps` operations on the first protocol's cluster; the servers' RSS at the start, every 100,000 operations and at the end. */
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
