// Planted bugs (issue 5 §4): each mutant of ProtocolConfig.mutations is
// caught by a search scenario that the correct protocol passes
// (scenarios.test.ts), breaking the invariant it should, with a trace
// minimized to the end (1-minimal) that replays against fresh actors from its
// saved JSON.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mutationNames } from "../../src/protocols/pb/config.js";
import { buildCounterexample } from "../../src/search/counterexample.js";
import { plantedBugCatches } from "../../src/protocols/pb/search/mutants.js";
import type { PlantedBugCatch } from "../../src/protocols/searchSupport.js";
import { findScenario, scenarios } from "../../src/protocols/pb/search/scenarios.js";
import { runScenario } from "../../src/search/search.js";
import { parseTrace, replayTrace } from "../../src/sim/replay.js";

/**
 * Catches beyond the one per mutant: the liveness bug is also caught by the
 * recover phase of a scenario with three servers and two clients. Its trace
 * is kept as found (not minimized): each candidate would be checked against
 * the correct protocol by a recovery search that, since both clients open
 * sessions first (issue 14), takes about a million states; the found trace
 * itself is still checked that way (buildCounterexample's first test).
 */
const alsoCaught: (PlantedBugCatch & { minimizedToTheEnd: false })[] = [
  {
    mutant: "ignorePrimaryRestart",
    scenario: "random-deep",
    invariant: "liveness",
    shows: "with a third server, both clients wait forever on the restarted primary",
    minimizedToTheEnd: false,
  },
];

/**
 * The minimizer stops as soon as the trace is 1-minimal, so a generous bound costs nothing
 * when the machine is fast; the test asserts it got there, which 10 s did not always allow
 * on 2 busy cores.
 */
const minimizeSecondsMax = 45;

describe("planted bugs are caught", () => {
  it("every mutant has a search that catches it", () => {
    expect(plantedBugCatches.map((entry) => entry.mutant).sort()).toEqual([...mutationNames].sort());
    // One planted bug per bug class of the lectures (issue 22), at least ten.
    expect(mutationNames.length).toBeGreaterThanOrEqual(10);
  });

  it("docs/RULES.md names every planted bug with the scenario and invariant that catch it, and every scenario", () => {
    const table = readFileSync(new URL("../../docs/RULES.md", import.meta.url), "utf8");
    for (const entry of plantedBugCatches)
      expect(table).toContain(`\`${entry.mutant}\` (${entry.scenario}, ${entry.invariant}`);
    for (const scenario of scenarios) expect(table).toContain(scenario.name);
  });

  for (const entry of [...plantedBugCatches, ...alsoCaught]) {
    it(`${entry.mutant} by ${entry.scenario}: ${entry.shows}`, () => {
      const scenario = findScenario(entry.scenario)!;
      // Time bounds stretched for loaded machines: the run stops at the bug, so it costs nothing when fast.
      const outcome = runScenario(scenario, { mutations: [entry.mutant], timeScale: 5 });
      expect(outcome.violation?.invariant, outcome.goalMissing ?? "").toBe(entry.invariant);
      const counterexample = buildCounterexample(outcome.world, scenario, outcome.violation!, {
        minimizeSeconds: "minimizedToTheEnd" in entry ? 0 : minimizeSecondsMax,
      });
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(counterexample.foundLength);
      // ddmin and the single-event pass ran to the end: no single event of the trace can go.
      if (!("minimizedToTheEnd" in entry)) expect(counterexample.minimization?.complete).toBe(true);
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(80);
      // The saved JSON replays against fresh actors and breaks the same invariant.
      const replayed = replayTrace(parseTrace(JSON.stringify(counterexample.saved)));
      expect(replayed.diverged).toBeNull();
      expect(replayed.reproduced).toBe(true);
      expect(replayed.applied).toBe(counterexample.saved.events.length);
    }, 120_000);
  }
});
