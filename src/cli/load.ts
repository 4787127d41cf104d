// `npm run load -- --clients 8 --duration 10 --keys 5 --history FILE [--json]`:
// a closed-loop workload through client actors, recorded as a history
// (DESIGN §7), with a progress bar on a terminal; prints ops/s, latency
// percentiles and the longest wait, then checks linearizability
// (exit 0 linearizable, 1 not, 3 the checker gave up). It announces the run
// and its verdict as `load` events on `<c>.events` (`load.load`), which the
// supervisor prints and the dashboard shows.
//
// `npm run load -- --fill --keys N --value-bytes B` instead writes each key
// `fill-<i>` once with a B-byte value (to build a large store), prints MB/s
// and exits; `--client-per-op` gives every op a fresh client actor.
//
// Why load drives its own client actors (src/broker/workload.ts) and not the
// library (`connect()`, which `kv` and the gateway use): throughput is not
// the reason — the same closed loop on the library measured the same (issue
// 20, 2 rounds each, 10 s on a loaded 2-core machine: 8 clients 1,346–1,498
// ops/s here, 1,399–1,410 on the library, p50 ≈ 5 ms both; 32 clients
// 2,905–4,091 and 3,858–4,111). The history's fidelity is: the library
// retries an op whose actor a control command crashed on another actor
// (load records it as `fail`: it did not happen), cannot end the ops in
// flight at Ctrl-C (load records them as info at once), and hands a worker's
// ops to any actor of its pool, so `--client-per-op` (a fresh actor, hence a
// fresh session, per op) has no equivalent. The load events also need the
// clients' connection, which the library keeps to itself.
import path from "node:path";
import { Command, Option } from "commander";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import { type CheckResult, checkHistory, formatCheckResult, HistoryRecorder } from "../check/index.js";
import { type ClusterEventBody, loadEventNode, loadReportLengthMax } from "../schemas/clusterEvents.js";
import { BrokerClients } from "../broker/clients.js";
import { BrokerConnection, brokerUserOfUrl } from "../broker/connection.js";
import { isClientUser } from "../security/principal.js";
import { fillKeys, type FillProgress } from "../broker/fill.js";
import { Progress } from "../bench/progress.js";
import { valueBytesMax } from "../schemas/limits.js";
import { publishClusterEvent, publishClusterEventConfirmed } from "../broker/events.js";
import type { ClusterNames } from "../broker/topology.js";
import {
  nanosecondClock,
  percentile,
  randomOps,
  runWorkload,
  type WorkloadStats,
} from "../broker/workload.js";
import {
  addCommonOptions,
  addClientTimingOptions,
  CommandError,
  exitCodes,
  findBroker,
  loggerFor,
  namesOf,
  positiveInt,
  protocolConfig,
  protocolOf,
  runCommand,
  type CommonOptions,
  type ProtocolOptions,
  quietOnBrokenPipe,
  usageExitCodes,
  writableDirectory,
} from "./common.js";
import { Interrupt } from "./interrupt.js";

/** Start-up, history writing and publishing on top of the run and the check, before a verdict counts as overdue. */
const verdictSlackMs = 10_000;

interface LoadOptions extends CommonOptions, ProtocolOptions {
  clients: number;
  duration: number;
  keys: number;
  history?: string;
  opTimeoutMs: number;
  checkBudgetMs: number;
  json: boolean;
  fill: boolean;
  valueBytes: number;
  clientPerOp: boolean;
}

const clientsMax = 256;
const keysMax = 10_000;
const fillKeysMax = 10_000_000;

const program = new Command("load")
  .description(
    "closed-loop workload against the cluster; records a history and checks it for linearizability",
  )
  .addOption(
    new Option("--clients <n>", `concurrent clients (1-${clientsMax})`).argParser(positiveInt).default(8),
  )
  .addOption(new Option("--duration <s>", "seconds of load").argParser(positiveInt).default(10))
  .addOption(new Option("--keys <n>", `number of keys (1-${keysMax})`).argParser(positiveInt).default(5))
  .option(
    "--history <file>",
    "write the history (JSONL) here (default: histories/load-<cluster>-<time>.jsonl)",
  )
  .addOption(
    new Option(
      "--op-timeout-ms <ms>",
      "an op without an answer this long is recorded as info; its client is replaced",
    )
      .argParser(positiveInt)
      .default(2000),
  )
  .addOption(
    new Option("--check-budget-ms <ms>", "time budget of the linearizability check")
      .argParser(positiveInt)
      .default(60_000),
  )
  .option("--json", "print the figures as one JSON object", false)
  .option("--fill", `write keys fill-0 … fill-<N-1> once each (--keys up to ${fillKeysMax}) and exit`, false)
  .addOption(
    new Option("--value-bytes <b>", `--fill: bytes per value (1-${valueBytesMax})`)
      .argParser(positiveInt)
      .default(100),
  )
  .option("--client-per-op", "a fresh client actor (a fresh address) for every operation", false);
addCommonOptions(program);
addClientTimingOptions(program);
program.action((options: LoadOptions) => runCommand(() => runLoad(options)));

async function runLoad(options: LoadOptions): Promise<number> {
  if (options.fill) return runFill(options);
  let historyWritten = false;
  const historyFile = options.history ?? defaultHistoryFile(options.cluster);
  writableDirectory(path.dirname(historyFile), "--history"); // before the run, not after it
  // Ctrl-C stops the load; the history so far is written and checked. A second one exits at once.
  const interrupt = new Interrupt({
    leftBehind: () =>
      historyWritten
        ? `the history is written but not checked: npm run check -- ${historyFile}`
        : "the history of this run is not written",
  }).listen();
  try {
    return await loadAndCheck(options, historyFile, interrupt, () => (historyWritten = true));
  } finally {
    interrupt.finish();
  }
}

async function loadAndCheck(
  options: LoadOptions,
  historyFile: string,
  interrupt: Interrupt,
  markWritten: () => void,
): Promise<number> {
  const workers = Math.min(options.clients, clientsMax);
  const keyCount = Math.min(options.keys, keysMax);
  const { names, url, log, clients } = await openLoadClients(options, "load");
  const recorder = new HistoryRecorder(nanosecondClock());
  // Fresh keys for every run: the history starts from empty keys, as the checker assumes.
  const runId = nanoid(6);
  const keys = Array.from({ length: keyCount }, (_, index) => `${runId}-k${index}`);
  const durationMs = options.duration * 1000;
  // Absolute in the events: whoever reads them may run in another directory.
  const announced = { run: runId, clients: workers, keys: keyCount, history: path.resolve(historyFile) };
  const verdictDueMs = durationMs + options.opTimeoutMs + options.checkBudgetMs + verdictSlackMs;
  const running: ClusterEventBody = {
    type: "load",
    result: "running",
    ...announced,
    durationMs,
    verdictDueMs,
  };
  // A client user may not write events (docs/SECURITY.md): its load runs unannounced.
  const announces = !isClientUser(names.cluster, clients.connection.user);
  if (announces && !publishClusterEvent(clients.connection, names, loadEventNode, running)) {
    log.warn("the load's start event was not published (broker out of reach)");
  }
  const progress = new Progress();
  let stats: WorkloadStats;
  try {
    stats = await runWorkload({
      clients,
      workers,
      durationMs,
      opTimeoutMs: options.opTimeoutMs,
      recorder,
      nextOp: randomOps(keys),
      onOp: (current) => showLoad(progress, current, durationMs),
      clientPerOp: options.clientPerOp,
      stop: interrupt.signal,
    });
  } finally {
    progress.clear();
    await clients.close();
  }
  if (clients.fatal !== null) throw clients.fatal;
  if (interrupt.interrupted) {
    process.stderr.write(
      `interrupted after ${(stats.elapsedMs / 1000).toFixed(1)} s: writing and checking the history so far (${stats.interrupted} ops in flight recorded as info)\n`,
    );
    await interrupt.quiet(); // writing and checking block this process: let the relayed copies arrive first
  }

  recorder.writeJsonl(historyFile);
  markWritten();
  const result = checkHistory(recorder.events(), { budgetMs: options.checkBudgetMs });
  const seconds = stats.elapsedMs / 1000;
  const figures = {
    cluster: names.cluster,
    clients: workers,
    keys: keyCount,
    durationS: Math.round(seconds * 100) / 100,
    ops: stats.ok + stats.unknown + stats.failed,
    ok: stats.ok,
    timedOut: stats.unknown,
    refused: stats.failed,
    opsPerSecond: Math.round((stats.ok / seconds) * 10) / 10,
    latencyMs: {
      p50: round(percentile(stats.latenciesMs, 50)),
      p99: round(percentile(stats.latenciesMs, 99)),
      max: round(stats.latenciesMs.reduce((max, value) => Math.max(max, value), 0)),
    },
    maxWaitMs: round(stats.maxWaitMs),
    history: historyFile,
    events: recorder.events().length,
    interrupted: interrupt.interrupted,
    linearizable: result.result === "ok" ? true : result.result === "violation" ? false : null,
    check: result,
  };
  const verdict: ClusterEventBody = {
    type: "load",
    ...announced,
    durationMs: Math.round(stats.elapsedMs),
    ok: stats.ok,
    info: stats.unknown,
    fail: stats.failed,
    opsPerSecond: figures.opsPerSecond,
    latencyP50Ms: stats.latenciesMs.length === 0 ? null : figures.latencyMs.p50,
    latencyP99Ms: stats.latenciesMs.length === 0 ? null : figures.latencyMs.p99,
    maxWaitMs: figures.maxWaitMs,
    checkMs: result.elapsedMs,
    report: formatCheckResult(result).slice(0, loadReportLengthMax),
    ...verdictOf(result),
  };
  if (!isClientUser(names.cluster, brokerUserOfUrl(url))) await publishVerdict(url, names, verdict, log);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } else {
    const lines = [
      `load: ${workers} clients, ${keyCount} keys, ${figures.durationS} s on cluster "${names.cluster}"`,
      `ops: ${stats.ok} ok, ${stats.unknown - stats.interrupted - stats.expired} timed out${stats.expired > 0 ? `, ${stats.expired} session expired` : ""}${stats.interrupted > 0 ? `, ${stats.interrupted} cut short by the interruption` : ""} (recorded as info)${stats.failed > 0 ? `, ${stats.failed} refused (fail)` : ""}: ${figures.opsPerSecond} ops/s`,
      `latency: p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, max wait ${figures.maxWaitMs} ms`,
      `history: ${historyFile} (${figures.events} events)${interrupt.interrupted ? "; interrupted: the run stopped early" : ""}`,
      formatCheckResult(result),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (result.result === "violation") return exitCodes.failed;
  // Interrupted: the history is checked, but the run asked for did not happen.
  if (result.result === "unknown" || interrupt.interrupted) return exitCodes.unknown;
  return exitCodes.ok;
}

/** The event's form of the checker's result: a violation names its key. */
function verdictOf(
  result: CheckResult,
): { result: "linearizable" | "unknown" } | { result: "not-linearizable"; key: string } {
  switch (result.result) {
    case "ok":
      return { result: "linearizable" };
    case "violation":
      return { result: "not-linearizable", key: result.violation.key };
    case "unknown":
      return { result: "unknown" };
  }
}

/**
 * On a connection of its own: the clients' one is closed, and the check
 * (which may block this process for longer than the heartbeat) is over. A
 * verdict that cannot be published is only a warning: the exit code and the
 * printed figures are the run's answer.
 */
async function publishVerdict(
  url: string,
  names: ClusterNames,
  verdict: ClusterEventBody,
  log: Logger,
): Promise<void> {
  let connection: BrokerConnection | null = null;
  try {
    connection = await BrokerConnection.open({
      url,
      connectionName: `pbkv ${names.cluster} load verdict`,
      log,
      topology: null,
    });
    await publishClusterEventConfirmed(connection, names, loadEventNode, verdict);
  } catch (error) {
    log.warn({ reason: (error as Error).message }, "the load's verdict event was not published");
  } finally {
    await connection?.close();
  }
}

/** `--fill`: every key written once; figures on stdout (one JSON object with --json). */
async function runFill(options: LoadOptions): Promise<number> {
  if (options.keys > fillKeysMax || options.valueBytes > valueBytesMax) {
    throw new CommandError(
      `--fill takes up to ${fillKeysMax} keys of up to ${valueBytesMax} bytes`,
      exitCodes.usage,
    );
  }
  const { names, clients } = await openLoadClients(options, "fill");
  const bar = new Progress();
  let progress: FillProgress;
  try {
    progress = await fillKeys({
      clients,
      workers: Math.min(options.clients, clientsMax),
      keys: options.keys,
      valueBytes: options.valueBytes,
      opTimeoutMs: options.opTimeoutMs,
      onKey: (current) => showFill(bar, current, options.keys),
    });
  } finally {
    bar.clear();
    await clients.close();
  }
  if (clients.fatal !== null) throw clients.fatal;
  const seconds = progress.elapsedMs / 1000;
  const megabytes = progress.bytes / 1e6;
  const figures = {
    cluster: names.cluster,
    keys: progress.written,
    valueBytes: options.valueBytes,
    megabytes: round(megabytes),
    seconds: round(seconds),
    megabytesPerSecond: round(megabytes / seconds),
    opsPerSecond: round(progress.written / seconds),
    retries: progress.retries,
    maxWaitMs: round(progress.maxWaitMs),
  };
  process.stdout.write(
    options.json
      ? `${JSON.stringify(figures)}\n`
      : `fill: ${figures.keys} keys (fill-0 … fill-${figures.keys - 1}) of ${options.valueBytes} bytes, ${figures.megabytes} MB in ${figures.seconds} s: ${figures.megabytesPerSecond} MB/s, ${figures.opsPerSecond} puts/s, ${figures.retries} retried, max wait ${figures.maxWaitMs} ms\n`,
  );
  return exitCodes.ok;
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : value;
}

function defaultHistoryFile(cluster: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return path.join("histories", `load-${cluster}-${stamp}.jsonl`);
}

/** The load's progress line: how far through the duration, and its figures so far. */
function showLoad(progress: Progress, stats: WorkloadStats, durationMs: number): void {
  const rate = stats.elapsedMs > 0 ? Math.round((stats.ok / stats.elapsedMs) * 1000) : 0;
  const label = `${(stats.elapsedMs / 1000).toFixed(1)}/${durationMs / 1000} s`;
  progress.show(
    label,
    stats.elapsedMs / durationMs,
    `${stats.ok} ok  ${rate} ops/s  ${stats.unknown} unknown`,
  );
}

/** The fill's progress line: keys written, megabytes and MB/s. */
function showFill(progress: Progress, fill: FillProgress, keys: number): void {
  const rate = fill.elapsedMs > 0 ? fill.bytes / 1e3 / fill.elapsedMs : 0;
  const detail = `${(fill.bytes / 1e6).toFixed(1)} MB  ${rate.toFixed(1)} MB/s`;
  progress.show(`${fill.written}/${keys} keys`, fill.written / keys, detail);
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();

/** The broker, a logger and the client actors' connection (named `pbkv <cluster> <label>`) of one load run. */
async function openLoadClients(options: LoadOptions, label: string) {
  const names = namesOf(options);
  // Before looking for the broker: a bad setting is a usage error whether or not one is there.
  const config = protocolConfig(options);
  const broker = await findBroker(options, false);
  const log = loggerFor(options, "pbkv-load").child({ cluster: names.cluster });
  const clients = await BrokerClients.open({
    url: broker.url,
    names,
    protocol: protocolOf(options),
    config,
    log,
    checkInvariants: true,
    label,
  });
  return { names, url: broker.url, log, clients };
}
