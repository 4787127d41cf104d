// Trace minimization (src/search/minimize.ts) on a made-up trace test, where
// which events matter is known: ddmin drops long irrelevant stretches in a few
// replays, and the single-event pass after it leaves a 1-minimal trace. The
// planted bugs' real traces are minimized and replayed in mutants.test.ts.
import { describe, expect, it } from "vitest";
import { minimizeTrace, type TraceTest } from "../../src/search/minimize.js";

/** Shows the "violation" when `needed` occur in order; keeps the events up to the last of them. */
function needsInOrder(needed: readonly number[]): TraceTest {
  return (codes) => {
    let next = 0;
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] === needed[next]) next += 1;
      if (next === needed.length) return codes.slice(0, i + 1);
    }
    return null;
  };
}

const trace = Array.from({ length: 200 }, (_, i) => i);

describe("trace minimization", () => {
  it("ddmin and the single-event pass find the same minimal trace; ddmin in fewer replays", () => {
    const test = needsInOrder([5, 60, 61, 140]);
    const ddmin = minimizeTrace(trace, test);
    const oneAtATime = minimizeTrace(trace, test, { strategy: "oneAtATime" });
    expect(ddmin.codes).toEqual([5, 60, 61, 140]);
    expect(oneAtATime.codes).toEqual([5, 60, 61, 140]);
    expect(ddmin.complete).toBe(true);
    expect(ddmin.tests).toBeLessThan(oneAtATime.tests);
  });

  it("ends 1-minimal: no single event of the result can go", () => {
    const test = needsInOrder([3, 3, 150, 7]);
    const input = [...trace, 3, 150, 7, 9];
    const { codes } = minimizeTrace(input, test);
    expect(test(codes)).toEqual(codes);
    for (let i = 0; i < codes.length; i++)
      expect(test([...codes.slice(0, i), ...codes.slice(i + 1)])).toBeNull();
  });

  it("refuses a trace that does not show the violation, and stops at its time bound", () => {
    expect(() => minimizeTrace([1, 2], needsInOrder([9]))).toThrow(/does not show the violation/);
    const bounded = minimizeTrace(trace, needsInOrder([5, 140]), { secondsMax: 0 });
    expect(bounded.complete).toBe(false);
    expect(needsInOrder([5, 140])(bounded.codes)).not.toBeNull();
  });
});
