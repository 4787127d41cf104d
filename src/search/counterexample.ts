import { World } from "./engine.js";
import {
  type MinimizeStrategy,
  minimizeTrace,
  sameLivenessViolation,
  sameSafetyViolation,
  type TraceTest,
} from "./minimize.js";
import type { Phase, Scenario } from "./scenario.js";
import { bfs, type FoundViolation, worldSpecOf } from "./search.js";
import { type SearchState, traceEvents } from "./state.js";
import { replayEvents, type SavedTrace, traceFormat, traceOf } from "./trace.js";

// From a violation found by the search to what a person reads and a file
// replays: minimize the trace, describe it step by step, package it as JSON.

export interface Counterexample {
  saved: SavedTrace;
  /** The minimized trace, one line per event and the state of the node it moved. */
  lines: string[];
  /** Events in the trace as found, before minimization. */
  foundLength: number;
  /** What minimizing cost; null when the trace was kept as found. */
  minimization: { tests: number; seconds: number; complete: boolean } | null;
}

/** True when, from `state`, the recover phase's exhaustive search cannot reach its goal. */
export function isStuck(world: World, phase: Phase, state: SearchState): boolean {
  const result = bfs(world, state, phase);
  return result.outcome === "exhausted" && result.violation === null;
}

export function recoverPhaseOf(scenario: Scenario, name: string): Phase {
  const phase = scenario.phases.find((candidate) => candidate.name === name);
  if (phase === undefined) throw new Error(`scenario ${scenario.name} has no phase ${name}`);
  return phase;
}

/**
 * A liveness counterexample for a mutant must be stuck with the mutant and not
 * stuck, after the same events, with the correct protocol: otherwise
 * minimizing would happily shorten it into a state where nothing could recover
 * (say, the first primary lost before it acknowledged view 1).
 */
function differentialLiveness(world: World, scenario: Scenario, phaseName: string): TraceTest {
  const phase = recoverPhaseOf(scenario, phaseName);
  const reference = new World(worldSpecOf(scenario, [], world.protocol));
  const stuckWithMutant = sameLivenessViolation(world, (state) => isStuck(world, phase, state));
  return (codes) => {
    const kept = stuckWithMutant(codes);
    if (kept === null) return null;
    const replayed = replayEvents(reference, traceOf(world, kept));
    if (replayed.diverged !== null || replayed.violation !== null) return null;
    return isStuck(reference, phase, replayed.state) ? null : kept;
  };
}

export interface MinimizeCounterexampleOptions {
  minimizeSeconds?: number;
  /** Default ddmin; oneAtATime is the minimizer before ddmin. */
  minimizeStrategy?: MinimizeStrategy;
}

export function buildCounterexample(
  world: World,
  scenario: Scenario,
  violation: FoundViolation,
  options: MinimizeCounterexampleOptions = {},
): Counterexample {
  const found = traceEvents(violation.state.trace);
  const minimizeOptions = { secondsMax: options.minimizeSeconds ?? 30, strategy: options.minimizeStrategy };
  let test: TraceTest | null = null;
  if (violation.invariant !== "liveness") test = sameSafetyViolation(world, violation);
  else if (world.spec.config.mutations.length > 0)
    test = differentialLiveness(world, scenario, violation.phase);
  // Otherwise (liveness, correct protocol) there is no reference protocol to
  // compare with: a shorter trace could be stuck for a reason the fault model
  // accepts (a primary lost before it acknowledged its first view), so the
  // trace is kept as found.
  const minimization = test === null ? null : minimizeTrace(found, test, minimizeOptions);
  const minimized = minimization?.codes ?? found;
  const events = traceOf(world, minimized);
  const replayed = replayEvents(world, events);
  const lines = [...replayed.lines];
  // A liveness violation has no breaking event: say so after the last one.
  if (violation.invariant === "liveness") lines.push(`STUCK (liveness): ${violation.message}`);
  const shown = replayed.violation ?? violation;
  return {
    saved: {
      format: traceFormat,
      version: 1,
      scenario: scenario.name,
      mutations: [...world.spec.config.mutations],
      phase: violation.phase,
      violation: { invariant: shown.invariant, message: shown.message },
      events,
    },
    lines,
    foundLength: found.length,
    minimization:
      minimization === null
        ? null
        : { tests: minimization.tests, seconds: minimization.seconds, complete: minimization.complete },
  };
}
