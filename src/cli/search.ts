// `npm run search`: the model checker (issue 5). Runs a scenario's phases
// over the real actor code, prints what it explored and, on a violation, the
// minimized trace step by step. Exit codes: 0 no violation and every goal
// reached, 1 a violation (or a goal not reached, or a replayed trace that
// reproduces), 2 bad arguments or an unreadable trace file.
import { writeFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import type { AnyProtocol } from "../protocols/protocol.js";
import { protocolNamed } from "../protocols/registry.js";
import { buildCounterexample, type Counterexample } from "../search/counterexample.js";
import { findScenario, runScenario, type SearchOutcome } from "../search/search.js";
import { readTraceFile, replayTrace, TraceFileError, type ReplayResult } from "../sim/replay.js";
import { addProtocolOption, wholeNumber } from "./arguments.js";
import { quietOnBrokenPipe } from "./exitCodes.js";

const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

interface SearchCliOptions {
  protocol: string;
  list?: boolean;
  scenario?: string;
  mutant?: string;
  seconds?: number;
  seed: number;
  json?: boolean;
  save?: string;
  replay?: string;
  minimizeSeconds: number;
}

class UsageError extends Error {
  override name = "UsageError";
}

function positiveNumber(name: string) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value <= 0)
      throw new InvalidArgumentError(`${name} must be a number above 0`);
    return value;
  };
}

function buildProgram(): Command {
  return addProtocolOption(
    new Command()
      .name("npm run search --")
      .description(
        "Model-check the protocol: breadth-first search and random probes over every interleaving of message deliveries " +
          "(any message may be lost, duplicated or reordered), timers, client operations, crashes and restarts, " +
          "running the real actor code and checking the invariants after every step.",
      )
      .option("--list", "print the scenarios, then the mutants, one per line")
      .option("--scenario <name>", "the scenario to search (see --list)")
      .option("--mutant <name>", "switch on one planted bug (see --list)")
      .option(
        "--seconds <s>",
        "time for each explore phase (half BFS, half random probes), without state bounds",
        positiveNumber("--seconds"),
      )
      .option("--seed <n>", "seed of the random probes", wholeNumber("--seed"), 1)
      .option(
        "--minimize-seconds <s>",
        "most time spent minimizing a violating trace",
        positiveNumber("--minimize-seconds"),
        30,
      )
      .option("--save <file>", "write the minimized violating trace as JSON (replay it with --replay)")
      .option(
        "--replay <file>",
        "replay a saved trace against fresh actors and report whether it still breaks the invariant",
      )
      .option("--json", "print one JSON object instead of text")
      .addHelpText(
        "after",
        [
          "",
          "Exit codes: 0 no violation and every goal reached; 1 violation, goal not reached, or a replay that reproduces; 2 bad arguments.",
          "",
          "Examples:",
          "  npm run search -- --list",
          "  npm run search -- --scenario view-changes",
          "  npm run search -- --scenario view-changes --mutant replyBeforeBackupAck --save trace.json",
          "  npm run search -- --replay trace.json",
          "  npm run search -- --scenario random-deep --seconds 120 --seed 7",
        ].join("\n"),
      )
      .exitOverride(),
  );
}

function list(protocol: AnyProtocol): void {
  for (const scenario of protocol.search.scenarios) console.log(`scenario ${scenario.name}`);
  for (const name of protocol.config.mutations) console.log(`mutant ${name}`);
}

function search(protocol: AnyProtocol, options: SearchCliOptions): number {
  if (options.scenario === undefined)
    throw new UsageError("give --scenario NAME (or --list, or --replay FILE)");
  const scenario = findScenario(protocol, options.scenario);
  if (scenario === undefined)
    throw new UsageError(
      `unknown scenario ${options.scenario}; one of: ${protocol.search.scenarios.map((s) => s.name).join(", ")}`,
    );
  const outcome = runScenario(scenario, {
    protocol,
    mutations: options.mutant === undefined ? [] : [options.mutant],
    seconds: options.seconds,
    seed: options.seed,
  });
  const counterexample =
    outcome.violation === null
      ? null
      : buildCounterexample(outcome.world, scenario, outcome.violation, {
          minimizeSeconds: options.minimizeSeconds,
        });
  if (counterexample !== null && options.save !== undefined)
    writeFileSync(options.save, JSON.stringify(counterexample.saved, null, 2) + "\n");
  if (options.json) console.log(JSON.stringify(outcomeJson(outcome, counterexample, options.save)));
  else printOutcome(scenario.description, outcome, counterexample, options.save);
  return outcome.ok ? exitCodes.ok : exitCodes.failed;
}

function outcomeJson(
  outcome: SearchOutcome,
  counterexample: Counterexample | null,
  savedTo: string | undefined,
) {
  return {
    scenario: outcome.scenario,
    mutations: outcome.mutations,
    result: outcome.violation !== null ? "violation" : outcome.goalMissing !== null ? "goalMissing" : "ok",
    states: outcome.states,
    seconds: round(outcome.seconds),
    statesPerSecond: Math.round(outcome.statesPerSecond),
    bfsStatesPerSecond: Math.round(outcome.bfsStatesPerSecond),
    depthReached: outcome.depthReached,
    phases: outcome.phases.map((phase) => ({ ...phase, seconds: round(phase.seconds) })),
    goalMissing: outcome.goalMissing,
    violation:
      outcome.violation === null || counterexample === null
        ? null
        : {
            invariant: outcome.violation.invariant,
            message: outcome.violation.message,
            phase: outcome.violation.phase,
            foundLength: counterexample.foundLength,
            minimization: counterexample.minimization,
            trace: counterexample.saved.events,
            lines: counterexample.lines,
            savedTo: savedTo ?? null,
          },
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function printOutcome(
  description: string,
  outcome: SearchOutcome,
  counterexample: Counterexample | null,
  savedTo: string | undefined,
): void {
  const mutants = outcome.mutations.length === 0 ? "" : ` with mutant ${outcome.mutations.join(", ")}`;
  console.log(`scenario ${outcome.scenario}${mutants}: ${description}`);
  for (const phase of outcome.phases) {
    const probes = phase.probes > 0 ? `, ${phase.probes} probes (${phase.probeSteps} steps)` : "";
    console.log(
      `  ${phase.phase.padEnd(18)} ${phase.kind.padEnd(7)} ${phase.outcome.padEnd(9)} ` +
        `${phase.bfsStates} BFS states${probes}, depth ${phase.depthReached}, ${phase.seconds.toFixed(1)} s`,
    );
  }
  console.log(
    `${outcome.states} states explored in ${outcome.seconds.toFixed(1)} s (${Math.round(outcome.statesPerSecond)} states/s; ` +
      `BFS alone ${Math.round(outcome.bfsStatesPerSecond)} distinct states/s), depth reached ${outcome.depthReached}`,
  );
  if (outcome.goalMissing !== null) console.log(`GOAL NOT REACHED: ${outcome.goalMissing}`);
  if (outcome.violation !== null && counterexample !== null) {
    console.log(
      `VIOLATION (${outcome.violation.invariant}) in phase ${outcome.violation.phase}: ${outcome.violation.message}`,
    );
    const { minimization } = counterexample;
    const how =
      minimization === null
        ? "kept as found"
        : `minimized from ${counterexample.foundLength} in ${minimization.seconds.toFixed(2)} s, ` +
          `${minimization.tests} replays${minimization.complete ? "" : ", stopped by --minimize-seconds"}`;
    console.log(`trace: ${counterexample.saved.events.length} events (${how})`);
    for (const line of counterexample.lines) console.log(`  ${line}`);
    if (savedTo !== undefined)
      console.log(`saved to ${savedTo}; replay: npm run search -- --replay ${savedTo}`);
  }
  if (outcome.ok) console.log("OK: no violation, every goal reached");
}

function replay(protocol: AnyProtocol, file: string, json: boolean): number {
  const result: ReplayResult = replayTrace(readTraceFile(file, protocol), protocol);
  if (json) console.log(JSON.stringify(result));
  else {
    const mutants = result.mutations.length === 0 ? "" : ` with mutant ${result.mutations.join(", ")}`;
    console.log(`replaying ${file}: scenario ${result.scenario}${mutants}, ${result.events} events`);
    for (const line of result.lines) console.log(`  ${line}`);
    if (result.reproduced)
      console.log(`REPRODUCED (${result.expected.invariant}): ${result.violation?.message}`);
    else if (result.diverged !== null)
      console.log(`NOT REPRODUCED: the trace no longer applies: ${result.diverged}`);
    else if (result.violation !== null)
      console.log(`DIFFERENT VIOLATION (${result.violation.invariant}): ${result.violation.message}`);
    else console.log(`NOT REPRODUCED: no violation (the trace showed ${result.expected.invariant})`);
  }
  return result.violation !== null ? exitCodes.failed : exitCodes.ok;
}

function main(argv: readonly string[]): number {
  const program = buildProgram();
  try {
    program.parse(argv, { from: "node" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is a usage error.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    throw error;
  }
  const options = program.opts<SearchCliOptions>();
  const protocol = protocolNamed(options.protocol);
  try {
    const mutations = protocol.config.mutations;
    if (options.mutant !== undefined && !mutations.includes(options.mutant))
      throw new UsageError(`unknown mutant; one of: ${mutations.join(", ")}`);
    if (options.list) {
      list(protocol);
      return exitCodes.ok;
    }
    if (options.replay !== undefined) return replay(protocol, options.replay, options.json === true);
    return search(protocol, options);
  } catch (error) {
    if (error instanceof UsageError || error instanceof TraceFileError) {
      console.error(`error: ${error.message}`);
      return exitCodes.usage;
    }
    throw error;
  }
}

quietOnBrokenPipe();
process.exitCode = main(process.argv);
