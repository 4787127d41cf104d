// One chaos run on the real broker: a fresh cluster (`chaos-<random>`), a
// recorded load, the nemesis (and, with garbage, the bad-input campaign) for
// the run's duration; then everything healed, the cluster given time to
// settle, every worker made to finish, every key read through a fresh client;
// then the checks: linearizability, no acknowledged write lost, every worker
// finished, no node process died on its own, all bad input accounted for.
// With `reconfigure` (a protocol whose group changes at run time: VR), the
// nemesis also reconfigures the group (src/chaos/reconfigurer.ts); after
// healing, the reconfiguration under way must end too, and the report says
// which were done and the epochs reached.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import { BrokerClients, type ClientSession } from "../broker/clients.js";
import { BrokerConnection } from "../broker/connection.js";
import { nanosecondClock } from "../broker/workload.js";
import { checkHistory, formatCheckResult, HistoryRecorder } from "../check/index.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { describeView, initialView } from "../schemas/view.js";
import { Random } from "../sim/random.js";
import { type AcknowledgedWritesReport, checkAcknowledgedWrites, type FinalRead } from "./acknowledged.js";
import type { BrokerControl } from "./brokerControl.js";
import { ChaosCluster } from "./cluster.js";
import { GarbageCampaign } from "./garbage.js";
import { type ReconfigurationReport, Reconfigurer } from "./reconfigurer.js";
import { accountGarbage, type GarbageReport } from "./garbageReport.js";
import { type FaultCounts, loadConnectionLabel, Nemesis, type RoleLosses } from "./nemesis.js";
import { type LostCounts, sleep } from "./observer.js";
import { ChaosWorkload, type ChaosWorkloadStats } from "./workload.js";

export interface ChaosRunOptions {
  url: string;
  seed: number;
  servers: number;
  clients: number;
  keys: number;
  durationMs: number;
  /** After healing: time for the cluster to settle, and then for every worker to finish. */
  settleMs: number;
  opTimeoutMs: number;
  protocol: AnyProtocol;
  /** Made by `protocol.config.make`. */
  config: ProtocolConfigBase;
  /** Bad input per second during the run, or null for none. */
  garbageRatePerSecond: number | null;
  brokerControl: BrokerControl;
  /** Histories, reports and (for failing runs) node logs go here. */
  outDirectory: string;
  log: Logger;
  checkBudgetMs: number;
  /** Pause between two nemesis actions, ms. */
  pauseMs: [number, number];
  /** Reconfigurations among the faults (the protocol must have `broker.reconfiguration`). */
  reconfigure?: boolean;
  /** The run's cluster is named `<prefix>-<random>` (default `chaos`, the prefix `--purge` knows). */
  clusterPrefix?: string;
  /** Told the cluster as soon as it runs (so that a command forced to exit can kill it). */
  onCluster?: (cluster: ChaosCluster | null) => void;
  /**
   * Aborted: the command was interrupted. The nemesis and the load stop at
   * once (ops in flight recorded as info), the cluster is stopped, and the
   * history so far is written and checked; no healing, settling or final reads.
   */
  stop?: AbortSignal;
  /** Awaited before the (synchronous) checks of an interrupted run: see Interrupt.quiet. */
  quiet?: () => Promise<void>;
}

export interface ChaosRunResult {
  seed: number;
  cluster: string;
  ok: boolean;
  /** Cut short by the command's interruption: the checks cover the history so far. */
  interrupted: boolean;
  /** Why the run failed, one line each. */
  problems: string[];
  wallSeconds: number;
  ops: { ok: number; info: number; fail: number; total: number };
  maxClientWaitMs: number;
  faults: FaultCounts;
  roleLosses: RoleLosses;
  /** Role losses the fault model did not allow when the nemesis wanted them. */
  faultsRefused: number;
  linearizable: boolean | null;
  check: string;
  acknowledged: AcknowledgedWritesReport;
  violations: number;
  lostAcknowledgedWrites: number;
  crashedProcesses: number;
  crashes: string[];
  unfinishedClients: number;
  settled: boolean;
  /** Copies of everything dead-lettered into `<c>.lost`, by cause. */
  lost: LostCounts;
  /** Copies of everything dead-lettered into `<c>.rejected`, and the `rejected` events. */
  rejected: { copies: number; events: number };
  /** Depths of `<c>.lost` and `<c>.rejected` at the end (bounded queues: drop-head). */
  queueDepths: { lost: number; rejected: number };
  garbage: GarbageReport | null;
  /** With `reconfigure`: what the nemesis's reconfigurations did. */
  reconfigurations: ReconfigurationReport | null;
  history: string;
  report: string;
  nodeLogs: string | null;
  timeline: string[];
}

export async function runChaosOnce(options: ChaosRunOptions): Promise<ChaosRunResult> {
  const startedMs = performance.now();
  const random = new Random(options.seed);
  const clusterName = `${options.clusterPrefix ?? "chaos"}-${nanoid(8).replace(/[^A-Za-z0-9]/g, "x")}`;
  const reconfigure = options.reconfigure === true;
  if (reconfigure && options.protocol.broker.reconfiguration === undefined)
    throw new Error(`${options.protocol.name}'s group does not change at run time: no reconfigurations`);
  mkdirSync(options.outDirectory, { recursive: true });
  const base = path.join(options.outDirectory, `seed-${options.seed}`);
  const logDirectory = `${base}-logs`;
  mkdirSync(logDirectory, { recursive: true });
  const timeline: string[] = [];
  const note = (line: string): void => {
    timeline.push(`${((performance.now() - startedMs) / 1000).toFixed(3).padStart(8)} s  ${line}`);
  };
  const problems: string[] = [];
  const recorder = new HistoryRecorder(nanosecondClock());
  const keys = Array.from({ length: options.keys }, (_, index) => `k${index}`);

  note(`cluster ${clusterName}: ${describeLayout(options.protocol, options.servers)}, seed ${options.seed}`);
  const cluster = await ChaosCluster.start({
    url: options.url,
    cluster: clusterName,
    servers: options.servers,
    protocol: options.protocol,
    config: options.config,
    logDirectory,
    log: options.log,
    brokerControl: options.brokerControl,
    debug: true,
    reconfigurable: reconfigure,
  });
  options.onCluster?.(cluster);
  let clients: BrokerClients | null = null;
  let garbageConnection: BrokerConnection | null = null;
  let reconfigurer: Reconfigurer | null = null;
  let result: Omit<
    ChaosRunResult,
    "ok" | "problems" | "wallSeconds" | "history" | "report" | "nodeLogs" | "timeline"
  >;
  let finalReads: FinalRead[];
  try {
    clients = await BrokerClients.open({
      url: options.url,
      names: cluster.names,
      protocol: options.protocol,
      config: options.config,
      log: options.log,
      checkInvariants: true,
      label: loadConnectionLabel,
    });
    const workload = new ChaosWorkload({
      clients,
      workers: options.clients,
      keys,
      random: random.fork(),
      recorder,
      opTimeoutMs: options.opTimeoutMs,
    });
    const nemesisRandom = random.fork();
    // The nemesis's word on who is live, once it exists (the reconfigurer is made first).
    let isLive: (node: string) => boolean = () => false;
    reconfigurer = reconfigure
      ? await Reconfigurer.open({
          cluster,
          url: options.url,
          random: nemesisRandom.fork(),
          isLive: (node) => isLive(node),
          note,
          log: options.log,
        })
      : null;
    const nemesis = new Nemesis({
      cluster,
      random: nemesisRandom,
      failureDetectionMs: options.protocol.config.failureDetectionMs(options.config),
      connectionKills: options.brokerControl.available,
      pauseMs: options.pauseMs,
      note,
      reconfigurer,
    });
    isLive = (node) => nemesis.isLive(node);
    let garbage: GarbageCampaign | null = null;
    const garbageRandom = random.fork();
    if (options.garbageRatePerSecond !== null) {
      garbageConnection = await BrokerConnection.open({
        url: options.url,
        connectionName: `pbkv ${clusterName} chaos-garbage`,
        log: options.log,
        topology: null,
      });
      garbage = new GarbageCampaign({
        cluster,
        connection: garbageConnection,
        random: garbageRandom,
        ratePerSecond: options.garbageRatePerSecond,
        oversizedEveryMs: 1_000,
      });
    }

    note(
      `load: ${options.clients} workers on ${keys.length} keys; nemesis for ${options.durationMs / 1000} s`,
    );
    workload.start();
    garbage?.start();
    await nemesis.run(options.durationMs, options.stop);
    await garbage?.stop();
    if (garbage !== null) note(`garbage: ${garbage.sent.length} messages sent`);
    const { stats, settled } = isStopped(options)
      ? { stats: await workload.interrupt(), settled: false }
      : await healAndFinish(options, { cluster, nemesis, reconfigurer, workload, problems, note });
    const written = workload.keysWritten();
    finalReads = isStopped(options)
      ? []
      : await readEverything(clients, recorder, written, options.opTimeoutMs * 3);
    // Interrupted during the reads: some keys unread, which the lost-writes check would count as lost.
    if (isStopped(options)) finalReads = [];
    const interrupted = isStopped(options);
    if (interrupted) {
      note("interrupted: the load stopped at once, ops in flight recorded as info; no final reads");
      problems.splice(0); // what healing had found so far is cut short, not a failure
    }
    note(`final reads: ${finalReads.filter((read) => read.value !== null).length} of ${written.length} keys`);

    if (!interrupted) await sleep(1_500); // the last rejections and dead letters arrive
    const garbageReport =
      garbage === null || interrupted ? null : accountGarbage(garbage.sent, garbage.notSent, cluster);
    const queueDepths = await queueDepthsOf(cluster);
    const crashes = describeCrashes(cluster, clients);
    result = {
      seed: options.seed,
      cluster: clusterName,
      interrupted,
      ops: { ok: stats.ok, info: stats.info, fail: stats.fail, total: stats.ok + stats.info + stats.fail },
      maxClientWaitMs: Math.round(stats.maxWaitMs),
      faults: nemesis.faults,
      roleLosses: nemesis.roleLosses,
      faultsRefused: nemesis.refused,
      linearizable: null,
      check: "",
      acknowledged: checkAcknowledgedWrites([], []),
      violations: 0,
      lostAcknowledgedWrites: 0,
      crashedProcesses: crashes.length,
      crashes,
      unfinishedClients: interrupted ? 0 : stats.unfinishedWorkers, // interrupted: cut short, not stuck
      settled,
      lost: { ...cluster.observer.lost },
      rejected: {
        copies: [...cluster.observer.rejectedByNode.values()].reduce((sum, count) => sum + count, 0),
        events: cluster.observer.events.filter((event) => event.type === "rejected").length,
      },
      queueDepths,
      garbage: garbageReport,
      reconfigurations: reconfigurer?.report ?? null,
    };
  } finally {
    await reconfigurer?.close().catch(() => {});
    await clients?.close().catch(() => {});
    await garbageConnection?.close().catch(() => {});
    await cluster.stop().catch((error: Error) => problems.push(`cleanup failed: ${error.message}`));
    options.onCluster?.(null);
  }

  // The checks, with the cluster gone so the checker has the CPU.
  const history = `${base}.jsonl`;
  if (isStopped(options)) await options.quiet?.();
  recorder.writeJsonl(history);
  const verdict = checkHistory(recorder.events(), { budgetMs: options.checkBudgetMs });
  result.linearizable = verdict.result === "ok" ? true : verdict.result === "violation" ? false : null;
  result.check = formatCheckResult(verdict);
  result.acknowledged = checkAcknowledgedWrites(recorder.events(), finalReads);
  result.lostAcknowledgedWrites = result.acknowledged.lostAcknowledgedWrites;
  result.violations = (verdict.result === "violation" ? 1 : 0) + result.acknowledged.anomalies;
  if (verdict.result === "violation") problems.push(`history ${result.check.split("\n")[0] ?? ""}`);
  if (verdict.result === "unknown")
    problems.push(`the checker gave up: ${result.check.split("\n")[0] ?? ""}`);
  if (result.acknowledged.lostAcknowledgedWrites > 0) {
    problems.push(`${result.acknowledged.lostAcknowledgedWrites} acknowledged write(s) lost`);
  }
  if (result.acknowledged.anomalies > 0)
    problems.push(`${result.acknowledged.anomalies} anomalies in the final values`);
  if (result.crashedProcesses > 0)
    problems.push(`${result.crashedProcesses} process(es) crashed: ${result.crashes.join("; ")}`);
  if (result.unfinishedClients > 0) {
    problems.push(
      `${result.unfinishedClients} worker(s) did not finish within ${options.settleMs} ms after healing`,
    );
  }
  if (result.garbage !== null && result.garbage.unaccounted > 0) {
    problems.push(`${result.garbage.unaccounted} bad-input message(s) not accounted for`);
  }
  const ok = problems.length === 0;
  const report = `${base}.json`;
  const full: ChaosRunResult = {
    ...result,
    ok,
    problems,
    wallSeconds: Math.round((performance.now() - startedMs) / 100) / 10,
    history,
    report,
    nodeLogs: ok ? null : logDirectory,
    timeline,
  };
  writeFileSync(report, `${JSON.stringify(full, null, 2)}\n`);
  if (ok) rmSync(logDirectory, { recursive: true, force: true });
  return full;
}

/**
 * Heals everything, waits for the cluster to settle, and lets every worker
 * finish an op after that; what went wrong goes to `problems`.
 */
async function healAndFinish(
  options: ChaosRunOptions,
  run: {
    cluster: ChaosCluster;
    nemesis: Nemesis;
    reconfigurer: Reconfigurer | null;
    workload: ChaosWorkload;
    problems: string[];
    note: (line: string) => void;
  },
): Promise<{ stats: ChaosWorkloadStats; settled: boolean }> {
  const { cluster, problems, note } = run;
  const interrupted = async (): Promise<{ stats: ChaosWorkloadStats; settled: boolean }> => ({
    stats: await run.workload.interrupt(),
    settled: false,
  });
  const missing = await run.nemesis.healAll();
  if (isStopped(options)) return interrupted();
  if (missing.length > 0) problems.push(`reset not acknowledged by ${missing.join(", ")}`);
  const reconfigured = await untilStopped(
    run.reconfigurer?.finish(options.settleMs) ?? Promise.resolve(true),
    options.stop,
  );
  if (reconfigured === null) return interrupted();
  if (!reconfigured)
    problems.push(`the reconfiguration under way did not end within ${options.settleMs} ms after healing`);
  const settled = await untilStopped(settle(cluster, options), options.stop);
  if (settled === null) return interrupted();
  note(
    settled
      ? `settled: ${describeView(cluster.observer.view?.view ?? initialView)} with full redundancy, taken up, every server pinging`
      : "did NOT settle",
  );
  if (!settled)
    problems.push(
      `the cluster did not settle within ${options.settleMs} ms after healing (last view ${JSON.stringify(cluster.observer.view?.view ?? null)})`,
    );
  cluster.control({ type: "reset" }); // once more, for any client actor that missed it
  const stats = await untilStopped(run.workload.finish(options.settleMs), options.stop);
  if (stats === null) return interrupted();
  note(`workers finished: ${options.clients - stats.unfinishedWorkers} of ${options.clients}`);
  return { stats, settled };
}

function isStopped(options: ChaosRunOptions): boolean {
  return options.stop?.aborted === true;
}

/** The promise's value, or null as soon as `stop` is aborted. */
function untilStopped<T>(promise: Promise<T>, stop: AbortSignal | undefined): Promise<T | null> {
  if (stop === undefined) return promise;
  if (stop.aborted) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(null);
    stop.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        stop.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        stop.removeEventListener("abort", onAbort);
        reject(error as Error);
      },
    );
  });
}

/** Waits for a settled view (`broker.ready`, taken up; pb: a backup, acknowledged by its primary), and every server's heartbeats seen. */
async function settle(cluster: ChaosCluster, options: ChaosRunOptions): Promise<boolean> {
  const observer = cluster.observer;
  return observer.waitFor(() => {
    if (isStopped(options)) return true; // polling ends at once (the caller has given up on it)
    const seen = observer.view;
    if (seen === null || !observer.settled(seen)) return false;
    return cluster.servers.every((server) => observer.sincePingMs(server) < cluster.liveWithinMs);
  }, options.settleMs);
}

/** Reads every key through a fresh client (a new one after a timeout), recorded in the history. */
async function readEverything(
  clients: BrokerClients,
  recorder: HistoryRecorder,
  keys: readonly string[],
  timeoutMs: number,
): Promise<FinalRead[]> {
  const reads: FinalRead[] = [];
  const attemptsMax = 3;
  let session: ClientSession | null = null;
  try {
    for (const key of keys) {
      let value: string | null = null;
      for (let attempt = 0; attempt < attemptsMax && value === null; attempt++) {
        session ??= await clients.newClient(timeoutMs).catch(() => null);
        if (session === null) continue;
        const recorded = recorder.invoke("final-reader", "get", key);
        const outcome = await session.invoke({ f: "get", key }, timeoutMs);
        if (outcome.kind === "ok") {
          recorder.ok(recorded, outcome.value);
          value = outcome.value;
        } else {
          if (outcome.kind === "timeout" || outcome.kind === "expired") recorder.info(recorded);
          else recorder.fail(recorded);
          session = null;
        }
      }
      reads.push({ key, value });
    }
  } finally {
    await session?.stop();
  }
  return reads;
}

async function queueDepthsOf(cluster: ChaosCluster): Promise<{ lost: number; rejected: number }> {
  try {
    return await cluster.connection.withScratchChannel(async (channel) => ({
      lost: (await channel.checkQueue(cluster.names.lost)).messageCount,
      rejected: (await channel.checkQueue(cluster.names.rejected)).messageCount,
    }));
  } catch {
    return { lost: -1, rejected: -1 };
  }
}

/** Node processes that died without the nemesis killing them, actors stopped by a broken invariant. */
function describeCrashes(cluster: ChaosCluster, clients: BrokerClients): string[] {
  const fatal = new Map<string, string>();
  for (const event of cluster.observer.events) {
    // A crash by control command has no detail; a handler that threw has its error there.
    if (event.type === "lifecycle" && event.state === "crashed" && event.detail !== undefined) {
      fatal.set(event.node, event.detail);
    }
  }
  const crashes = cluster.unexpectedExits.map((exit) => {
    const how = exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const detail = fatal.get(exit.address);
    fatal.delete(exit.address);
    return `${exit.address} (pid ${exit.pid ?? "?"}) ${how}${detail === undefined ? "" : `: ${detail}`}`;
  });
  for (const [node, detail] of fatal) crashes.push(`${node} stopped: ${detail}`);
  if (clients.fatal !== null) crashes.push(`a client actor failed: ${clients.fatal.message}`);
  return crashes;
}

/** The cluster's nodes by role, in layout order: "viewserver + 3 servers". */
export function describeLayout(protocol: AnyProtocol, servers: number): string {
  const counts = new Map<string, number>();
  for (const node of protocol.layout(servers)) counts.set(node.role, (counts.get(node.role) ?? 0) + 1);
  return [...counts].map(([role, count]) => (count === 1 ? role : `${count} ${role}s`)).join(" + ");
}
