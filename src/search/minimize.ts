import type { World } from "./engine.js";
import type { Violation } from "./invariants.js";
import type { SearchState } from "./state.js";

// Trace minimization (DSLabs' TraceMinimizer): drop one event at a time,
// from the last to the first, and keep the shorter trace whenever it still
// reaches the same kind of violation; repeat until no event can go. What is
// left is a trace in which every event matters, usually a few dozen lines
// even when a random probe found the bug a hundred steps deep.

/** Decides whether a replayed trace still shows the violation; returns how many events of it to keep, or -1. */
export type TraceTest = (codes: readonly number[]) => number;

export interface MinimizeOptions {
  /** Stop trying (keeping the best trace so far) after this long. */
  secondsMax?: number;
}

export interface ReplayOutcome {
  /** Events that could be applied (all of them, unless one could not happen). */
  applied: number;
  applicable: boolean;
  violation: Violation | null;
  state: SearchState;
}

/** Apply `codes` from the initial state, stopping at the first violation or at an event that cannot happen. */
export function replayCodes(world: World, codes: readonly number[]): ReplayOutcome {
  let state = world.initialState().state;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (!world.canApply(state, code)) return { applied: i, applicable: false, violation: null, state };
    const step = world.step(state, code);
    if (step.violation !== null)
      return { applied: i + 1, applicable: true, violation: step.violation, state: step.state };
    state = step.state;
  }
  return { applied: codes.length, applicable: true, violation: null, state };
}

/** The test for a safety violation: the same invariant breaks somewhere along the trace. */
export function sameSafetyViolation(world: World, target: Violation): TraceTest {
  return (codes) => {
    const outcome = replayCodes(world, codes);
    return outcome.violation?.invariant === target.invariant ? outcome.applied : -1;
  };
}

/** The test for a liveness violation: the whole trace replays without violation and its end state is stuck. */
export function sameLivenessViolation(world: World, isStuck: (state: SearchState) => boolean): TraceTest {
  return (codes) => {
    const outcome = replayCodes(world, codes);
    if (!outcome.applicable || outcome.violation !== null) return -1;
    return isStuck(outcome.state) ? codes.length : -1;
  };
}

export function minimizeTrace(
  codes: readonly number[],
  test: TraceTest,
  options: MinimizeOptions = {},
): number[] {
  const deadlineMs = performance.now() + (options.secondsMax ?? 30) * 1000;
  let best = [...codes];
  const kept = test(best);
  if (kept < 0) throw new Error("minimizeTrace: the trace does not show the violation to begin with");
  best = best.slice(0, kept);
  let shortened = true;
  while (shortened && performance.now() < deadlineMs) {
    shortened = false;
    for (let i = best.length - 1; i >= 0; i--) {
      if (performance.now() > deadlineMs) break;
      const candidate = [...best.slice(0, i), ...best.slice(i + 1)];
      const length = test(candidate);
      if (length < 0) continue;
      best = candidate.slice(0, length);
      shortened = true;
      if (i > best.length) i = best.length;
    }
  }
  return best;
}
