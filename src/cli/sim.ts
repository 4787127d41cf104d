import { Command } from "commander";
import { defaultProtocolName, protocolNamed } from "../protocols/registry.js";
import { runChaos, type ChaosResult } from "../sim/chaos.js";
import { serverCount } from "../protocols/configOptions.js";
import { wholeNumber } from "./arguments.js";
import {
  addProtocolOptions,
  nonDefaultSettings,
  protocolConfig,
  type ProtocolOptions,
} from "./protocolSettings.js";
import { quietOnBrokenPipe } from "./exitCodes.js";

// `npm run sim`: the chaos scenario over many seeds. Each failing seed is
// printed with the command that replays it, trace included.

interface SimSummary {
  runs: number;
  /** Servers of each run (the configuration's count where it fixes one: VR's --replicas). */
  servers: number;
  violations: number;
  failingSeeds: number[];
  /** Runs left with unfinished clients for the one by-design reason, with it (not violations). */
  stuckByDesign: { seed: number; reason: string }[];
  ops: number;
  simulatedSeconds: number;
  wallSeconds: number;
  speedup: number;
}

const program = new Command()
  .name("npm run sim --")
  .description(
    "Run the chaos scenario in the deterministic simulator: random loss, duplication, delay, partitions, crashes and restarts, healed at the end; every client history is checked for linearizability.",
  )
  .option("--seeds <n>", "number of seeds to run", wholeNumber("--seeds"), 100)
  .option("--seed <s>", "first seed (alone with --seeds 1: replay that seed)", wholeNumber("--seed"), 1)
  .option("--clients <c>", "clients per run", wholeNumber("--clients"), 5)
  .option("--servers <n>", "servers at the start of each run", wholeNumber("--servers"), 3)
  .option("--chaos-ms <ms>", "virtual milliseconds of faults per run", wholeNumber("--chaos-ms"), 10_000)
  .option("--trace <lines>", "print the last lines of each failing run's trace", wholeNumber("--trace"), 0)
  .option(
    "--mutant <name>",
    `switch on one planted bug of the protocol, to see whether the simulator finds it (pb: ${protocolNamed(defaultProtocolName).config.mutations.join(", ")})`,
  )
  .option("--json", "print one JSON summary instead of text")
  .addHelpText(
    "after",
    "\nExamples:\n  npm run sim -- --seeds 300\n  npm run sim -- --seed 42 --seeds 1 --trace 200\n  npm run sim -- --seeds 40 --mutant replyBeforeBackupAck",
  )
  .showHelpAfterError()
  // Exit 2 on bad arguments, as npm run check and search do: 1 means a violation was found.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

// The protocol's settings (VR: --replicas 5 runs five replicas), as `npm run cluster` takes them.
addProtocolOptions(program);
quietOnBrokenPipe();
program.parse();
const options = program.opts<
  ProtocolOptions & {
    seeds: number;
    seed: number;
    clients: number;
    servers: number;
    chaosMs: number;
    trace: number;
    mutant?: string;
    json?: boolean;
  }
>();
const protocol = protocolNamed(options.protocol);
const mutations = protocol.config.mutations;
if (options.mutant !== undefined && !mutations.includes(options.mutant))
  program.error(`error: unknown mutant "${options.mutant}"; ${protocol.name} has: ${mutations.join(", ")}`);
// Planted bugs only on request; a real run has none.
const config = (() => {
  try {
    const settings = protocolConfig(options);
    return protocol.config.make({
      ...settings,
      mutations: options.mutant === undefined ? [] : [options.mutant],
    });
  } catch (error) {
    return program.error(`error: ${(error as Error).message}`);
  }
})();
// The count the configuration fixes, if it fixes one (an explicit --servers that differs is a usage error).
try {
  const given = program.getOptionValueSource("servers") === "cli" ? options.servers : undefined;
  options.servers = serverCount(protocol, config, given, options.servers);
} catch (error) {
  program.error(`error: ${(error as Error).message}`);
}
// What a replay needs beyond the seed: every setting that shapes a run.
const replayFlags = [
  options.protocol === defaultProtocolName ? "" : `--protocol ${options.protocol}`,
  ...nonDefaultSettings(protocol, config),
  `--clients ${options.clients}`,
  options.servers === 3 ? "" : `--servers ${options.servers}`,
  options.chaosMs === 10_000 ? "" : `--chaos-ms ${options.chaosMs}`,
  options.mutant === undefined ? "" : `--mutant ${options.mutant}`,
]
  .filter((flag) => flag !== "")
  .join(" ");

const started = performance.now();
const summary: SimSummary = {
  runs: 0,
  servers: options.servers,
  violations: 0,
  failingSeeds: [],
  stuckByDesign: [],
  ops: 0,
  simulatedSeconds: 0,
  wallSeconds: 0,
  speedup: 0,
};
const showProgress = process.stderr.isTTY && !options.json;

for (let seed = options.seed; seed < options.seed + options.seeds; seed++) {
  const result: ChaosResult = runChaos({
    seed,
    clients: options.clients,
    servers: options.servers,
    chaosMs: options.chaosMs,
    traceLinesMax: options.trace,
    protocol,
    config,
  });
  summary.runs += 1;
  summary.ops += result.ops;
  summary.simulatedSeconds += result.simulatedMs / 1000;
  if (!result.ok) {
    summary.violations += 1;
    summary.failingSeeds.push(seed);
    if (showProgress) process.stderr.write("\r\x1b[K");
    if (!options.json) {
      console.log(`seed ${seed} FAILED: ${result.violation}`);
      console.log(`  replay: npm run sim -- --seed ${seed} --seeds 1 ${replayFlags} --trace 300`);
      for (const line of result.trace) console.log(`  ${line}`);
    }
  }
  if (result.stuckByDesign !== null) {
    summary.stuckByDesign.push({ seed, reason: result.stuckByDesign });
    if (showProgress) process.stderr.write("\r\x1b[K");
    if (!options.json) console.log(`seed ${seed} stuck by design (not a violation): ${result.stuckByDesign}`);
  }
  if (showProgress) {
    process.stderr.write(
      `\r\x1b[Kseed ${seed}: ${summary.runs}/${options.seeds} runs, ${summary.violations} failing, ${summary.ops} ops`,
    );
  }
}
if (showProgress) process.stderr.write("\r\x1b[K");

summary.wallSeconds = (performance.now() - started) / 1000;
summary.speedup = summary.simulatedSeconds / Math.max(summary.wallSeconds, 1e-9);
if (options.json) {
  console.log(JSON.stringify(summary));
} else {
  console.log(
    `${summary.runs} runs, ${summary.violations} failing, ${summary.ops} ops, ` +
      `${summary.simulatedSeconds.toFixed(1)} s simulated in ${summary.wallSeconds.toFixed(1)} s (${summary.speedup.toFixed(0)}x real time)`,
  );
  if (summary.stuckByDesign.length > 0)
    console.log(
      `${summary.stuckByDesign.length} run(s) stuck by design, not violations: a view's primary lost before it acknowledged the view (DESIGN §4.1)`,
    );
}
process.exitCode = summary.violations > 0 ? 1 : 0;
