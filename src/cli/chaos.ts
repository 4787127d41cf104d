// `npm run chaos -- --runs N --duration S [--seed X] [--garbage] [--json]`:
// Jepsen-style chaos on the real broker. Each run starts its own cluster
// (`chaos-<random>`: the view server and N servers, one process each), runs a
// recorded load and a seeded nemesis within the fault model (src/chaos/nemesis.ts),
// with --garbage floods every queue and exchange with bad input, then heals and
// checks: linearizable history, no acknowledged write lost, every client
// finished, no process crashed, all bad input accounted for. A summary per run
// and overall; failing runs keep their history, report and node logs.
// --reconfigure (VR): the nemesis also changes the group, one reconfiguration
// at a time (src/chaos/reconfigurer.ts); each run says which it did.
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { pino } from "pino";
import { redactUrl } from "../broker/connection.js";
import { brokerControlFor, brokerControl as noBrokerControl } from "../chaos/brokerControl.js";
import type { ChaosCluster } from "../chaos/cluster.js";
import { faultKinds, type FaultCounts } from "../chaos/nemesis.js";
import { purgeLeftovers } from "../chaos/purge.js";
import type { ReconfigurationReport } from "../chaos/reconfigurer.js";
import { type ChaosRunResult, runChaosOnce } from "../chaos/run.js";
import { configFromOptions } from "../protocols/configOptions.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import { protocolNamed } from "../protocols/registry.js";
import {
  addProtocolOptions,
  CommandError,
  exitCodes,
  findBroker,
  positiveInt,
  refuseForeignSettings,
  runCommand,
  type CommonOptions,
  quietOnBrokenPipe,
  serversOf,
  usageExitCodes,
  writableDirectory,
} from "./common.js";
import { Interrupt } from "./interrupt.js";

interface ChaosOptions extends CommonOptions {
  protocol: string;
  runs: number;
  duration: number;
  seed?: number;
  json: boolean;
  garbage: boolean;
  garbageRate: number;
  servers: number;
  clients: number;
  keys: number;
  pingMs: number;
  pingCheckMs: number;
  clientRetryMs: number;
  opTimeoutMs: number;
  settleMs: number;
  checkBudgetMs: number;
  out?: string;
  connectionKills: boolean;
  purge: boolean;
  reconfigure: boolean;
  clusterPrefix: string;
}

const program = new Command("chaos")
  .description(
    "Jepsen-style chaos on the real broker: per run a fresh cluster, a recorded load and a seeded nemesis (loss, duplication, delay, the primary cut off from the view server, crashes, SIGKILLs, restarts, broker connection kills) within the fault model; then heal and check linearizability, that no acknowledged write was lost, that every client finished and that no process crashed",
  )
  .addOption(new Option("--runs <n>", "number of runs").argParser(positiveInt).default(1))
  .addOption(new Option("--duration <s>", "seconds of faults per run").argParser(positiveInt).default(60))
  .addOption(
    new Option("--seed <x>", "seed of the first run (run i uses seed + i; default: random)").argParser(
      seedArg,
    ),
  )
  .option("--garbage", "also flood every queue and exchange with malformed and hostile messages", false)
  .addOption(
    new Option("--garbage-rate <n>", "bad-input messages per second").argParser(positiveInt).default(100),
  )
  .addOption(
    new Option("--servers <n>", "servers per cluster (at least 3)").argParser(positiveInt).default(3),
  )
  .addOption(new Option("--clients <n>", "concurrent clients of the load").argParser(positiveInt).default(5))
  .addOption(
    new Option("--keys <n>", "keys of the load (odd ones only get appends)")
      .argParser(positiveInt)
      .default(4),
  )
  .addOption(
    new Option("--ping-ms <ms>", "servers ping this often (looser than the default 25: 2 busy cores)")
      .argParser(positiveInt)
      .default(40),
  )
  .addOption(
    new Option("--ping-check-ms <ms>", "the view server checks for dead servers this often")
      .argParser(positiveInt)
      .default(200),
  )
  .addOption(
    new Option("--client-retry-ms <ms>", "clients resend after this long")
      .argParser(positiveInt)
      .default(100),
  )
  .addOption(
    new Option(
      "--op-timeout-ms <ms>",
      "an op without an answer this long is recorded as info; its client is replaced",
    )
      .argParser(positiveInt)
      .default(4_000),
  )
  .addOption(
    new Option("--settle-ms <ms>", "after healing: time to settle, then for every client to finish")
      .argParser(positiveInt)
      .default(20_000),
  )
  .addOption(
    new Option("--check-budget-ms <ms>", "time budget of each linearizability check")
      .argParser(positiveInt)
      .default(120_000),
  )
  .option("--out <dir>", "histories and reports go here (default: histories/chaos-<time>)")
  .option("--no-connection-kills", "do not have the broker close connections (rabbitmqctl)")
  .option(
    "--reconfigure",
    "the nemesis also reconfigures the group among its faults: adds a replica, removes or replaces a member, one at a time, each until its epoch runs (VR)",
    false,
  )
  .addOption(
    new Option("--cluster-prefix <p>", "name each run's cluster <p>-<random> (--purge finds only chaos-…)")
      .argParser(clusterPrefixArg)
      .default("chaos"),
  )
  .option(
    "--purge",
    "only delete the queues and exchanges of chaos clusters nobody runs (left by a killed run; needs rabbitmqctl)",
    false,
  )
  .option("--url <amqp-url>", "AMQP URL of the broker (default: RABBITMQ_URL, then discovery)")
  .option("--verbose", "debug logs of this process (pino JSON on stderr)", false)
  .option("--json", "print one JSON object with the figures of every run", false)
  .addHelpText(
    "after",
    "\nExamples:\n  npm run chaos -- --runs 20 --duration 60\n  npm run chaos -- --runs 1 --duration 20 --garbage --json\n  npm run chaos -- --seed 1234 --runs 1   # the same nemesis choices (timing is real: not an exact replay)",
  );
// The protocol's other settings (VR: --replicas 5 runs five replicas); pb's timing flags above keep chaos's looser defaults.
addProtocolOptions(program);
program.action((options: ChaosOptions) => runCommand(() => runChaos(options)));

function clusterPrefixArg(text: string): string {
  if (!/^[A-Za-z0-9-]{1,32}$/.test(text)) throw new InvalidArgumentError("letters, digits and dashes");
  return text;
}

function seedArg(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError("expected a whole number ≥ 0");
  return value;
}

async function runChaos(options: ChaosOptions): Promise<number> {
  const protocol = protocolNamed(options.protocol);
  // pb: --ping-ms and --ping-check-ms, looser here than the protocol's defaults.
  refuseForeignSettings(program, protocol);
  const config = (() => {
    try {
      return configFromOptions(protocol, options);
    } catch (error) {
      throw new CommandError((error as Error).message, exitCodes.usage);
    }
  })();
  options.servers = serversOf(program, protocol, config, options.servers);
  if (options.reconfigure && protocol.broker.reconfiguration === undefined)
    throw new CommandError(
      `--reconfigure: ${protocol.name}'s group does not change at run time (use --protocol vr)`,
      exitCodes.usage,
    );
  if (options.servers < 3) throw new CommandError("--servers: at least 3", exitCodes.usage);
  const say = (line: string): void => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };
  // Our client actors warn about every bad input they reject: only errors, unless --verbose.
  const log = pino(
    { name: "pbkv-chaos", level: options.verbose ? "debug" : "error", base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: true }),
  );
  // Refused before any work, the broker included.
  const outDirectory = options.purge
    ? ""
    : writableDirectory(options.out ?? path.join("histories", `chaos-${stamp()}`), "--out");
  const firstSeed = options.seed ?? Math.floor(Math.random() * 1_000_000);
  // With no broker reachable, a private one from an installed rabbitmq-server (stopped at the end).
  const broker = await findBroker({ ...options, cluster: "chaos" }, !options.purge, say, false);
  if (options.purge) {
    const purged = await purgeLeftovers(broker.url);
    say(
      `deleted ${purged.queues} queues and ${purged.exchanges} exchanges of ${purged.clusters.length} chaos cluster(s)${purged.running.length > 0 ? `; left running: ${purged.running.join(", ")}` : ""}`,
    );
    return exitCodes.ok;
  }
  const control = options.connectionKills
    ? brokerControlFor(broker)
    : noBrokerControl({ kind: "none", why: "--no-connection-kills" });
  say(
    `chaos: ${options.runs} run(s) of ${options.duration} s on ${redactUrl(broker.url)}, seeds ${firstSeed}…${firstSeed + options.runs - 1}, ${options.servers} servers, ${options.clients} clients, ${options.keys} keys${options.garbage ? `, bad input ${options.garbageRate}/s` : ""}${options.reconfigure ? ", reconfigurations" : ""}`,
  );
  if (!control.available) say(`connection kills off: ${control.why}`);
  say(`histories and reports: ${outDirectory}`);

  let active: ChaosCluster | null = null;
  const interrupt = new Interrupt({
    say: (line) => void process.stderr.write(`${line}\n`),
    onForcedExit: () => active?.supervisor.killAll(),
    leftBehind: () =>
      active === null
        ? null
        : `the node processes of ${active.names.cluster} are killed; its queues may be left: npm run chaos -- --purge`,
  }).listen();
  void interrupt.received.then((signal) =>
    say(
      `${signal}: ending this run now; its history so far is written and checked (a second Ctrl-C exits at once)`,
    ),
  );
  const results: ChaosRunResult[] = [];
  const startedMs = performance.now();
  try {
    for (let index = 0; index < options.runs && !interrupt.interrupted; index++) {
      const result = await runChaosOnce({
        url: broker.url,
        seed: firstSeed + index,
        servers: options.servers,
        clients: options.clients,
        keys: options.keys,
        durationMs: options.duration * 1000,
        settleMs: options.settleMs,
        opTimeoutMs: options.opTimeoutMs,
        protocol,
        config,
        garbageRatePerSecond: options.garbage ? options.garbageRate : null,
        brokerControl: control,
        outDirectory,
        log,
        checkBudgetMs: options.checkBudgetMs,
        pauseMs: [150, 900],
        reconfigure: options.reconfigure,
        clusterPrefix: options.clusterPrefix,
        onCluster: (cluster) => (active = cluster),
        stop: interrupt.signal,
        quiet: () => interrupt.quiet(),
      });
      results.push(result);
      for (const line of describeRun(protocol, result, index + 1, options.runs)) say(line);
    }
  } finally {
    await broker.stop();
    interrupt.finish();
  }
  const summary = summarize(results, (performance.now() - startedMs) / 1000, options);
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else for (const line of describeSummary(summary)) say(line);
  if (summary.failedRuns > 0) return exitCodes.failed;
  return interrupt.interrupted ? exitCodes.unknown : exitCodes.ok;
}

/** The losses of uncrashable nodes' connections, by how the protocol names their role ("view server connection 2"). */
function uncrashableLosses(protocol: AnyProtocol, losses: Readonly<Record<string, number>>): string[] {
  const viewRoles = new Set([...protocol.chaos.faults.viewRoles, "clients"]);
  return Object.entries(losses)
    .filter(([role]) => !viewRoles.has(role))
    .map(([role, count]) => `${protocol.dashboard.roles[role]?.label ?? role} connection ${count}`);
}

function describeRun(protocol: AnyProtocol, result: ChaosRunResult, index: number, runs: number): string[] {
  const faults = faultKinds
    .filter((kind) => result.faults[kind] > 0)
    .map((kind) => `${kind} ${result.faults[kind]}`)
    .join(", ");
  const losses = result.roleLosses;
  const lines = [
    `run ${index}/${runs} seed ${result.seed}: ${result.ok ? "ok" : "FAILED"}${result.interrupted ? " (interrupted: the checks cover the history so far)" : ""} in ${result.wallSeconds} s — ${result.ops.total} ops (${result.ops.ok} ok, ${result.ops.info} info, ${result.ops.fail} fail), max client wait ${(result.maxClientWaitMs / 1000).toFixed(1)} s`,
    `  faults: ${faults}; lost: ${[...protocol.chaos.faults.viewRoles.map((role) => `${role} ${losses[role] ?? 0}`), ...uncrashableLosses(protocol, losses), `clients' connection ${losses.clients}`].join(", ")}; ${result.faultsRefused} refused by the fault model`,
    `  dead letters: ${result.lost.total} lost (drop ${result.lost.drop}, partition ${result.lost.partition}, refused ${result.lost.refused}, expired ${result.lost.expired}, unroutable ${result.lost.unroutable}), ${result.rejected.copies} rejected`,
    `  ${result.check.split("\n")[0] ?? ""}; acknowledged writes: ${result.acknowledged.acknowledgedWrites}, required in final values ${result.acknowledged.required}, lost ${result.lostAcknowledgedWrites}`,
  ];
  const reconfigurations = result.reconfigurations;
  if (reconfigurations !== null) lines.push(`  ${describeReconfigurations(reconfigurations)}`);
  const garbage = result.garbage;
  if (garbage !== null) {
    lines.push(
      `  bad input: ${garbage.sent} sent (${(garbage.bytes / 1024 / 1024).toFixed(1)} MiB); rejected by their node ${garbage.rejected} (+${garbage.lostInstead} dead-lettered while it was down${garbage.toAbsentNodes > 0 ? `, +${garbage.toAbsentNodes} to nodes not started or retired` : ""}), refused by protocol ${garbage.refusedByProtocol} (+${garbage.refusedWhileCrashed} while crashed), control rejections ${garbage.controlRejections}/${garbage.controlRejectionsExpected} (${garbage.controlMissedWhileDown} missed while down), ignored commands ${garbage.ignoredControl}, lost ${garbage.lost}, invalid events ${garbage.invalidEventsSkipped}; unaccounted ${garbage.unaccounted}`,
    );
  }
  if (!result.ok) {
    for (const problem of result.problems) lines.push(`  PROBLEM: ${problem}`);
    for (const example of result.acknowledged.examples.slice(0, 5)) lines.push(`    ${example}`);
    for (const example of garbage?.examples.slice(0, 5) ?? [])
      lines.push(`    garbage #${example.id} ${example.kind}: ${example.problem}`);
    lines.push(
      `  kept: history ${result.history}, report ${result.report}, node logs ${result.nodeLogs ?? "-"}`,
    );
  } else {
    lines.push(`  history ${result.history}`);
  }
  return lines;
}

/** "reconfigurations: 3 done of 3 asked (add, replace, remove), epochs 0 → 3, 2 retired; 4 skipped, 0 not taken" */
function describeReconfigurations(report: ReconfigurationReport): string {
  const moves = report.done.map((record) => record.move).join(", ");
  const failed = report.failed.length === 0 ? "" : `: ${report.failed.join("; ")}`;
  return `reconfigurations: ${report.done.length} done of ${report.asked} asked${moves === "" ? "" : ` (${moves})`}, epochs ${report.epochs.first} → ${report.epochs.last}, ${report.retired.length} replica(s) retired; ${report.skipped} skipped, ${report.failed.length} not done${failed}`;
}

interface ChaosSummary {
  runs: number;
  interrupted: boolean;
  failedRuns: number;
  failingSeeds: number[];
  seeds: number[];
  durationS: number;
  ops: { total: number; ok: number; info: number; fail: number };
  violations: number;
  lostAcknowledgedWrites: number;
  crashedProcesses: number;
  unfinishedClients: number;
  checkerGaveUp: number;
  faults: FaultCounts;
  roleLosses: Record<string, number>;
  faultsRefused: number;
  maxClientWaitMs: number;
  deadLetters: { lost: number; rejected: number };
  garbage: { sent: number; unaccounted: number; rejected: number; refusedByProtocol: number } | null;
  /** With --reconfigure: reconfigurations done, and the highest epoch a run reached. */
  reconfigurations: { done: number; epochMax: number } | null;
  histories: string[];
  reports: string[];
  wallSeconds: number;
}

function summarize(
  results: readonly ChaosRunResult[],
  wallSeconds: number,
  options: ChaosOptions,
): ChaosSummary {
  const sum = (pick: (result: ChaosRunResult) => number): number =>
    results.reduce((total, result) => total + pick(result), 0);
  const faults = Object.fromEntries(
    faultKinds.map((kind) => [kind, sum((r) => r.faults[kind])]),
  ) as FaultCounts;
  const roleLosses: Record<string, number> = {};
  for (const result of results) {
    for (const [role, count] of Object.entries(result.roleLosses))
      roleLosses[role] = (roleLosses[role] ?? 0) + count;
  }
  const failing = results.filter((result) => !result.ok);
  return {
    runs: results.length,
    interrupted: results.some((result) => result.interrupted),
    failedRuns: failing.length,
    failingSeeds: failing.map((result) => result.seed),
    seeds: results.map((result) => result.seed),
    durationS: options.duration,
    ops: {
      total: sum((r) => r.ops.total),
      ok: sum((r) => r.ops.ok),
      info: sum((r) => r.ops.info),
      fail: sum((r) => r.ops.fail),
    },
    violations: sum((r) => r.violations),
    lostAcknowledgedWrites: sum((r) => r.lostAcknowledgedWrites),
    crashedProcesses: sum((r) => r.crashedProcesses),
    unfinishedClients: sum((r) => r.unfinishedClients),
    checkerGaveUp: results.filter((r) => r.linearizable === null).length,
    faults,
    roleLosses,
    faultsRefused: sum((r) => r.faultsRefused),
    maxClientWaitMs: results.reduce((max, r) => Math.max(max, r.maxClientWaitMs), 0),
    deadLetters: { lost: sum((r) => r.lost.total), rejected: sum((r) => r.rejected.copies) },
    garbage: options.garbage
      ? {
          sent: sum((r) => r.garbage?.sent ?? 0),
          unaccounted: sum((r) => r.garbage?.unaccounted ?? 0),
          rejected: sum((r) => r.garbage?.rejected ?? 0),
          refusedByProtocol: sum((r) => r.garbage?.refusedByProtocol ?? 0),
        }
      : null,
    reconfigurations: options.reconfigure
      ? {
          done: sum((r) => r.reconfigurations?.done.length ?? 0),
          epochMax: results.reduce((max, r) => Math.max(max, r.reconfigurations?.epochs.last ?? 0), 0),
        }
      : null,
    histories: results.map((result) => result.history),
    reports: results.map((result) => result.report),
    wallSeconds: Math.round(wallSeconds),
  };
}

function describeSummary(summary: ChaosSummary): string[] {
  const faults = faultKinds.map((kind) => `${kind} ${summary.faults[kind]}`).join(", ");
  return [
    "",
    `${summary.runs} run(s) of ${summary.durationS} s${summary.interrupted ? " (interrupted)" : ""}, ${summary.failedRuns} failing${summary.failingSeeds.length > 0 ? ` (seeds ${summary.failingSeeds.join(", ")})` : ""}, ${Math.round(summary.wallSeconds / 60)} min`,
    `ops: ${summary.ops.total} (${summary.ops.ok} ok, ${summary.ops.info} info, ${summary.ops.fail} fail); max client wait ${(summary.maxClientWaitMs / 1000).toFixed(1)} s`,
    `violations ${summary.violations}, lost acknowledged writes ${summary.lostAcknowledgedWrites}, crashed processes ${summary.crashedProcesses}, unfinished clients ${summary.unfinishedClients}, checker gave up ${summary.checkerGaveUp}`,
    `faults: ${faults}; ${summary.faultsRefused} role losses refused by the fault model`,
    `dead letters: ${summary.deadLetters.lost} lost, ${summary.deadLetters.rejected} rejected`,
    ...(summary.reconfigurations === null
      ? []
      : [
          `reconfigurations: ${summary.reconfigurations.done} done, highest epoch ${summary.reconfigurations.epochMax}`,
        ]),
    ...(summary.garbage === null
      ? []
      : [`bad input: ${summary.garbage.sent} sent, ${summary.garbage.unaccounted} unaccounted`]),
  ];
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
