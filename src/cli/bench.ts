// `npm run bench [-- --quick] [--json] [--protocols pb,vr,chain] [--read-share 0.9]`: replicated
// throughput, latency and failover of each protocol (and VR's reconfiguration pause) side by side with the raw
// broker relay and the protocol's own ceiling. Starts its own clusters
// (`<prefix>-<random>-raw|<protocol>[-ceiling|-unreplicated]…`, each actor in
// its own process), drives them with closed-loop client actors in this
// process, prints a table (or one JSON object, src/schemas/bench.ts) with
// issue 16's and 21's goals judged, and deletes everything it made.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { nanoid } from "nanoid";
import { configFromOptions, configNumber } from "../protocols/configOptions.js";
import { defaultProtocolName, protocolNamed, protocolNames } from "../protocols/registry.js";
import type { ProtocolRun } from "../bench/cluster.js";
import { startCpuProfile } from "../bench/profile.js";
import { Progress } from "../bench/progress.js";
import { formatReport } from "../bench/report.js";
import { parsePeers } from "../bench/peers.js";
import { type BenchTarget, runBench } from "../bench/run.js";
import {
  forwardOf,
  forwardSettingsProblem,
  parseClientCounts,
  parseForwardVariants,
} from "../bench/settings.js";
import { benchMixOf, defaultReadShare, parseReadShare } from "../bench/workload.js";
import { clusterNamePattern } from "../broker/topology.js";
import type { ForwardSettings } from "../schemas/bench.js";
import {
  addProtocolOptions,
  CommandError,
  exitCodes,
  findBroker,
  loggerFor,
  positiveInt,
  runCommand,
  type ProtocolOptions,
  quietOnBrokenPipe,
  usageExitCodes,
} from "./common.js";
import { Interrupt } from "./interrupt.js";

interface BenchCommandOptions extends ProtocolOptions {
  protocol: string;
  protocols?: string;
  cluster: string;
  url?: string;
  verbose: boolean;
  quick: boolean;
  json: boolean;
  clients?: string;
  readShare: number;
  warmupMs?: number;
  windowMs?: number;
  rounds?: number;
  forwardBatchMax: number;
  forwardWindow: number;
  batching?: string;
  peers?: string;
  failoverRounds?: number;
  reconfigRounds?: number;
  memoryOps?: number;
  opTimeoutMs: number;
  nodeLogs?: string;
  cpuProf?: string;
}

const clientsMax = 256;
const memoryOpsMax = 100_000_000;

/** What a run measures unless told otherwise: the full bench, and `--quick` (under 20 s). */
const fullDefaults = {
  clients: "1,16,64",
  // Unmeasured load on each fresh cluster before its first row: V8 optimizes a new process's hot code
  // in the background over its first seconds (docs/BROKER.md, the benchmark).
  initialWarmupMs: 8_000,
  warmupMs: 1_000,
  windowMs: 5_000,
  rounds: 2,
  batching: "1x1,1x64,64x1,64x4",
  peers: "installed",
  failoverRounds: 5,
  reconfigRounds: 2,
  memoryOps: 1_000_000,
};
const quickDefaults = {
  clients: "1,16",
  initialWarmupMs: 0,
  warmupMs: 200,
  windowMs: 700,
  rounds: 1,
  batching: "none",
  peers: "none",
  failoverRounds: 1,
  reconfigRounds: 1,
  memoryOps: 0,
};

/** pb: its forwarding defaults are the bench's `--forward-batch-max` and `--forward-window`. */
const defaultProtocol = protocolNamed(defaultProtocolName);

const program = new Command("bench")
  .description(
    `replicated throughput, latency and failover of each protocol (--protocols, default ${protocolNames().join(",")}; vr also the pause of a reconfiguration) side by side with a raw amqplib relay, the protocol's ceiling (relay actors along its message pattern) and one unreplicated server, and issues 16's and 21's goals judged (vr / pb throughput at 64 clients, vr's median failover outage; pb / raw p50 at 1 client and ops/s at 64, pb / etcd at 1 and 64): starts its own clusters, measures, deletes them`,
  )
  .option(
    "--protocols <names>",
    `protocols to measure, comma-separated, each with its ceiling, unreplicated and failover rows (default ${protocolNames().join(",")}; --protocol NAME alone: that one). The first also gets the memory run, and its figures fill the JSON's v1 fields`,
  )
  .option(
    "--quick",
    `a smoke figure in about a minute for every protocol (clients ${quickDefaults.clients}, ${quickDefaults.windowMs} ms windows, ${quickDefaults.failoverRounds} failover round each, no batching comparison, no million-op run)`,
    false,
  )
  .option("--json", "print the figures as one JSON object (src/schemas/bench.ts)", false)
  .option(
    "--clients <list>",
    `client counts, comma-separated (default ${fullDefaults.clients}; --quick ${quickDefaults.clients})`,
  )
  .addOption(
    new Option(
      "--read-share <share>",
      "gets among the operations, 0 to 1 (e.g. 0.9: 90% gets, 5% puts, 5% appends); the rest half puts, half appends",
    )
      .argParser(readShareOption)
      .default(defaultReadShare),
  )
  .addOption(
    new Option(
      "--warmup-ms <ms>",
      `unmeasured load before each window (default ${fullDefaults.warmupMs})`,
    ).argParser(nonNegativeInt),
  )
  .addOption(
    new Option("--window-ms <ms>", `measured window per row (default ${fullDefaults.windowMs})`).argParser(
      positiveInt,
    ),
  )
  .addOption(
    new Option(
      "--rounds <n>",
      `start every cluster and measure every row this many times, and pool the windows (default ${fullDefaults.rounds}; --quick ${quickDefaults.rounds})`,
    ).argParser(positiveInt),
  )
  .addOption(
    new Option("--forward-batch-max <n>", "pb: most operations in one Forward")
      .argParser(positiveInt)
      .default(configNumber(defaultProtocol.config.defaults, "forwardBatchMax")),
  )
  .addOption(
    new Option("--forward-window <n>", "pb: most Forward messages in flight")
      .argParser(positiveInt)
      .default(configNumber(defaultProtocol.config.defaults, "forwardWindow")),
  )
  .option(
    "--peers <systems>",
    `also measure what users would pick instead: etcd and/or redis (comma-separated), installed (those whose server is installed) or none (default ${fullDefaults.peers}; --quick ${quickDefaults.peers})`,
  )
  .option(
    "--batching <variants>",
    `also measure pb with these forwarding settings, <forwardBatchMax>x<forwardWindow> comma-separated, or none (default ${fullDefaults.batching}; --quick none; pb only: vr's batching is --prepare-batch-max)`,
  )
  .addOption(
    new Option(
      "--failover-rounds <n>",
      `crashes of the primary per protocol, chain: of its head, then a middle server, then its tail, this many each (default ${fullDefaults.failoverRounds}; --quick ${quickDefaults.failoverRounds}; 0: none)`,
    ).argParser(nonNegativeInt),
  )
  .addOption(
    new Option(
      "--reconfig-rounds <n>",
      `vr: reconfigurations under load, each measuring the clients' pause; the group grows by a spare slot, then loses its primary, in turn (3 -> 4 -> 3 ...; default ${fullDefaults.reconfigRounds}; --quick ${quickDefaults.reconfigRounds}; 0: none)`,
    ).argParser(nonNegativeInt),
  )
  .addOption(
    new Option(
      "--memory-ops <n>",
      `operations of the memory run, on the first protocol (default ${fullDefaults.memoryOps}; --quick and 0: none)`,
    ).argParser(nonNegativeInt),
  )
  .addOption(
    new Option(
      "--op-timeout-ms <ms>",
      "an operation unanswered this long retires its client (and is reported)",
    )
      .argParser(positiveInt)
      .default(10_000),
  )
  .option(
    "--node-logs <dir>",
    "keep each node's log in <dir>/<system>/<node>.log (default: a temporary directory, deleted after a clean run)",
  )
  .option(
    "--cpu-prof <dir>",
    "write CPU profiles of every node and of the bench process to <dir> (.cpuprofile)",
  )
  .option("--cluster <prefix>", "prefix of the cluster names: <prefix>-<random>-<system>", "bench")
  .option("--url <amqp-url>", "AMQP URL of the broker (default: RABBITMQ_URL, then discovery)")
  .option("--verbose", "debug logs (pino JSON on stderr)", false);
addProtocolOptions(program);
program.action((options: BenchCommandOptions) => runCommand(() => runBenchCommand(options)));

async function runBenchCommand(options: BenchCommandOptions): Promise<number> {
  const defaults = options.quick ? quickDefaults : fullDefaults;
  const prefix = `${options.cluster}-${nanoid(6)
    .replace(/[^A-Za-z0-9]/g, "x")
    .toLowerCase()}`;
  if (!clusterNamePattern.test(`${prefix}-pb-unreplicated`)) {
    throw new CommandError(`invalid --cluster prefix "${options.cluster}"`, exitCodes.usage);
  }
  const forward: ForwardSettings = {
    forwardBatchMax: options.forwardBatchMax,
    forwardWindow: options.forwardWindow,
  };
  const problem = forwardSettingsProblem(forward);
  if (problem !== null) throw new CommandError(problem, exitCodes.usage);
  const clientCounts = usage(() => parseClientCounts(options.clients ?? defaults.clients, clientsMax));
  const variants = usage(() => parseForwardVariants(options.batching ?? defaults.batching));
  const peers = usage(() => parsePeers(options.peers ?? defaults.peers));
  const memoryOps = options.memoryOps ?? defaults.memoryOps;
  if (memoryOps > memoryOpsMax)
    throw new CommandError(`--memory-ops is at most ${memoryOpsMax}`, exitCodes.usage);
  const protocols = protocolRuns(options);
  const log = loggerFor({ verbose: options.verbose, cluster: prefix }, "pbkv-bench");
  // With no broker reachable, a private one from an installed rabbitmq-server (stopped at the end).
  const broker = await findBroker(
    { cluster: prefix, url: options.url, verbose: options.verbose },
    true,
    (line) => void process.stderr.write(`${line}\n`),
  );

  const keepLogs = options.nodeLogs !== undefined;
  const logDirectory = keepLogs
    ? path.resolve(options.nodeLogs ?? "")
    : mkdtempSync(path.join(os.tmpdir(), "pbkv-bench-"));
  mkdirSync(logDirectory, { recursive: true });
  const profileDirectory = options.cpuProf === undefined ? undefined : path.resolve(options.cpuProf);
  if (profileDirectory !== undefined) mkdirSync(profileDirectory, { recursive: true });
  const profile =
    profileDirectory === undefined
      ? null
      : await startCpuProfile(path.join(profileDirectory, `${prefix}-bench-${process.pid}.cpuprofile`));

  const progress = new Progress();
  const clusters = new Set<BenchTarget>();
  // The bench cannot resume: Ctrl-C stops its clusters (their queues deleted) and exits 3.
  const interrupt = new Interrupt({
    onForcedExit: () => {
      for (const cluster of clusters) cluster.killAll();
    },
    leftBehind: () =>
      clusters.size === 0
        ? null
        : `node processes killed; queues of ${[...clusters].map((cluster) => cluster.names.cluster).join(", ")} may be left: npm run cluster -- --cluster <name> --purge`,
  }).listen();
  void interrupt.received.then(async (signal) => {
    progress.clear();
    const names = [...clusters].map((cluster) => cluster.names.cluster);
    process.stderr.write(`${signal}: stopping the bench's clusters (a second Ctrl-C exits at once)\n`);
    await Promise.all([...clusters].map((cluster) => cluster.stop()));
    process.stderr.write(
      `stopped${names.length > 0 ? ` ${names.join(", ")}: node processes ended, queues and exchanges deleted` : ": no cluster was running"}; no report\n`,
    );
    await profile?.stop();
    await broker.stop();
    process.exit(exitCodes.unknown);
  });
  try {
    const report = await runBench({
      url: broker.url,
      prefix,
      protocols,
      log,
      logDirectory,
      opTimeoutMs: options.opTimeoutMs,
      quick: options.quick,
      clientCounts,
      mix: benchMixOf(options.readShare),
      initialWarmupMs: defaults.initialWarmupMs,
      warmupMs: options.warmupMs ?? defaults.warmupMs,
      windowMs: options.windowMs ?? defaults.windowMs,
      rounds: options.rounds ?? defaults.rounds,
      variants,
      peers,
      failoverRounds: options.failoverRounds ?? defaults.failoverRounds,
      failoverClients: 16,
      reconfigRounds: options.reconfigRounds ?? defaults.reconfigRounds,
      memoryOps,
      memoryClients: 64,
      readyTimeoutMs: 60_000,
      progress,
      clusters,
      nodeArgs: profileDirectory === undefined ? [] : ["--cpu-profile", profileDirectory],
    });
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
    if (!keepLogs) rmSync(logDirectory, { recursive: true, force: true });
    return exitCodes.ok;
  } catch (error) {
    // Interrupted: the run failed because its clusters were stopped; the interrupt ends the process.
    if (interrupt.interrupted) await new Promise(() => {});
    progress.clear();
    process.stderr.write(`node logs: ${logDirectory}\n`);
    throw error;
  } finally {
    await profile?.stop();
    interrupt.finish();
    await broker.stop();
  }
}

/**
 * The protocols to measure, each with its configuration from the flags it
 * has: `--protocols` (default every registered one), or `--protocol` alone
 * when given. A setting flag none of them has is refused (it would measure
 * nothing).
 */
function protocolRuns(options: BenchCommandOptions): ProtocolRun[] {
  const explicitProtocol = program.getOptionValueSource("protocol") === "cli";
  if (explicitProtocol && options.protocols !== undefined)
    throw new CommandError("give --protocol NAME or --protocols LIST, not both", exitCodes.usage);
  const names = explicitProtocol
    ? [options.protocol]
    : (options.protocols ?? protocolNames().join(",")).split(",").map((name) => name.trim());
  if (new Set(names).size !== names.length)
    throw new CommandError(`--protocols names a protocol twice: ${names.join(",")}`, exitCodes.usage);
  const runs = names.map((name) => {
    const protocol = usage(() => protocolNamed(name));
    return { protocol, config: usage(() => configFromOptions(protocol, options)) };
  });
  for (const name of protocolNames()) {
    for (const setting of protocolNamed(name).config.options) {
      const given =
        program.getOptionValueSource(new Option(`--${setting.flag} <n>`).attributeName()) === "cli";
      const used = runs.some((run) => run.protocol.config.options.some((own) => own.flag === setting.flag));
      if (given && !used)
        throw new CommandError(
          `--${setting.flag}: not a setting of ${names.join(" or ")} (it is ${name}'s)`,
          exitCodes.usage,
        );
    }
  }
  // pb's forwarding flags are the bench's own (they set the batching comparison's default row too).
  const forwarding = ["forward-batch-max", "forward-window", "batching"].filter(
    (flag) => program.getOptionValueSource(new Option(`--${flag} <n>`).attributeName()) === "cli",
  );
  const batchingNone = options.batching?.trim() === "none";
  if (forwarding.length > 0 && !(forwarding.length === 1 && batchingNone))
    if (!runs.some((run) => forwardOf(run.config) !== null))
      throw new CommandError(
        `--${forwarding[0]}: pb's forwarding settings, and ${names.join(",")} has none (vr: --prepare-batch-max)`,
        exitCodes.usage,
      );
  return runs;
}

/** An option parser: commander turns its InvalidArgumentError into a usage error (exit 2, no stack). */
function readShareOption(text: string): number {
  try {
    return parseReadShare(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^--read-share: /, ""));
  }
}

function nonNegativeInt(text: string): number {
  return text.trim() === "0" ? 0 : positiveInt(text);
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.usage);
  }
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
