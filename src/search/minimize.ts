import type { World } from "./engine.js";
import type { Violation } from "./invariants.js";
import type { SearchState } from "./state.js";

// Trace minimization: Zeller's delta debugging (ddmin) in front of DSLabs'
// TraceMinimizer. A random probe finds a bug a hundred or more events deep,
// most of them irrelevant; testing a candidate trace means replaying it, so
// the cost of minimizing is the number of replays. ddmin first tries to drop
// whole chunks (half the trace, then quarters, eighths, …), which gets rid of
// long irrelevant stretches in a few replays; the single-event pass then runs
// on what is left, until no event can go, so the result is 1-minimal (every
// event matters) whatever the chunks achieved.
//
// A chunk almost always holds the sending of a message delivered after it,
// so the replay of the rest fails at that delivery and the chunk stays; on
// the planted bugs' traces (scripts/bench-minimize.ts, README) ddmin ends a
// few events shorter than the single-event pass or equal, for about as many
// replays. Skipping the events that can no longer happen, instead of failing
// the candidate, was tried: no shorter traces, and liveness candidates that
// replay further cost a stuck-check BFS each (25 times slower).

/**
 * Decides whether a candidate trace still shows the violation: the events to
 * keep (those applied, up to the violation), or null.
 */
export type TraceTest = (codes: readonly number[]) => number[] | null;

/**
 * ddmin: chunk removal, then the single-event pass. oneAtATime: the single-event
 * pass alone (the checker's minimizer before ddmin; kept to measure the
 * difference, scripts/bench-minimize.ts).
 */
export type MinimizeStrategy = "ddmin" | "oneAtATime";

export interface MinimizeOptions {
  /** Stop trying (keeping the best trace so far) after this long. */
  secondsMax?: number;
  strategy?: MinimizeStrategy;
}

export interface Minimized {
  codes: number[];
  /** Candidate traces replayed: the cost of minimizing, independent of the machine's speed. */
  tests: number;
  seconds: number;
  /** False when the time bound stopped the search before the trace was 1-minimal. */
  complete: boolean;
}

export interface ReplayOutcome {
  /** The events applied, up to and including a violating one. */
  applied: number[];
  /** False when an event could not happen (the replay stopped there). */
  applicable: boolean;
  violation: Violation | null;
  state: SearchState;
}

/** Apply `codes` from the initial state, stopping at the first violation or at an event that cannot happen. */
export function replayCodes(world: World, codes: readonly number[]): ReplayOutcome {
  let state = world.initialState().state;
  const applied: number[] = [];
  for (const code of codes) {
    if (!world.canApply(state, code)) return { applied, applicable: false, violation: null, state };
    const step = world.step(state, code);
    applied.push(code);
    if (step.violation !== null)
      return { applied, applicable: true, violation: step.violation, state: step.state };
    state = step.state;
  }
  return { applied, applicable: true, violation: null, state };
}

/** The test for a safety violation: the same invariant breaks somewhere along the trace. */
export function sameSafetyViolation(world: World, target: Violation): TraceTest {
  return (codes) => {
    const outcome = replayCodes(world, codes);
    return outcome.violation?.invariant === target.invariant ? outcome.applied : null;
  };
}

/** The test for a liveness violation: the trace replays without violation and its end state is stuck. */
export function sameLivenessViolation(world: World, isStuck: (state: SearchState) => boolean): TraceTest {
  return (codes) => {
    const outcome = replayCodes(world, codes);
    if (!outcome.applicable || outcome.violation !== null) return null;
    return isStuck(outcome.state) ? outcome.applied : null;
  };
}

export function minimizeTrace(
  codes: readonly number[],
  test: TraceTest,
  options: MinimizeOptions = {},
): Minimized {
  const startedMs = performance.now();
  const deadlineMs = startedMs + (options.secondsMax ?? 30) * 1000;
  let tests = 0;
  const accepted: Accept = (candidate) => {
    tests += 1;
    return test(candidate);
  };
  const first = accepted(codes);
  if (first === null) throw new Error("minimizeTrace: the trace does not show the violation to begin with");
  let best = first;
  if ((options.strategy ?? "ddmin") === "ddmin") best = removeChunks(best, accepted, deadlineMs);
  const { codes: minimal, complete } = removeSingleEvents(best, accepted, deadlineMs);
  return { codes: minimal, tests, seconds: (performance.now() - startedMs) / 1000, complete };
}

type Accept = (candidate: readonly number[]) => number[] | null;

/**
 * ddmin's reduction to complements: at each granularity (chunks of half the
 * trace, then a quarter, … down to two events) try removing each chunk, last
 * first, and keep every removal whose trace still shows the violation.
 * Zeller's ddmin also tries keeping a single chunk alone; a chunk of a trace
 * replayed from the initial state almost never reaches a violation (its
 * messages were never sent), so those replays would be spent for nothing.
 * Going from the end keeps the chunks still to try where they were, and one
 * sweep per granularity bounds the cost to about as many replays as events;
 * the single-event pass that follows makes up for any removal this missed.
 */
function removeChunks(trace: number[], accepted: Accept, deadlineMs: number): number[] {
  let best = trace;
  for (let size = Math.ceil(best.length / 2); size >= 2; size = Math.ceil(size / 2)) {
    for (let end = best.length; end > 0 && performance.now() < deadlineMs;) {
      const start = Math.max(0, end - size);
      const shorter = accepted([...best.slice(0, start), ...best.slice(end)]);
      // A shorter trace may also have been cut after an earlier violation.
      if (shorter !== null) best = shorter;
      end = Math.min(start, best.length);
    }
    if (size === 2) break;
  }
  return best;
}

/** DSLabs' pass: drop one event at a time, last first, until no single event can go. */
function removeSingleEvents(
  trace: number[],
  accepted: Accept,
  deadlineMs: number,
): { codes: number[]; complete: boolean } {
  let best = trace;
  let shortened = true;
  while (shortened) {
    shortened = false;
    for (let i = best.length - 1; i >= 0; i--) {
      if (performance.now() > deadlineMs) return { codes: best, complete: false };
      const shorter = accepted([...best.slice(0, i), ...best.slice(i + 1)]);
      if (shorter === null) continue;
      best = shorter;
      shortened = true;
      if (i > best.length) i = best.length;
    }
  }
  return { codes: best, complete: true };
}
