// VR's planted bugs (src/protocols/vr/plantedBugs.ts, VrConfig.mutations):
// each is caught by the search scenario its table names
// (src/protocols/vr/search/mutants.ts), breaking the invariant it names,
// with a trace minimized to the end that replays against fresh actors from
// its saved JSON; the same scenarios pass on the correct protocol
// (vrScenarios.test.ts). As test/search/mutants.test.ts does for pb.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { vrMutationNames } from "../../src/protocols/vr/config.js";
import { vrProtocol } from "../../src/protocols/vr/protocol.js";
import { plantedBugCatches } from "../../src/protocols/vr/search/mutants.js";
import { buildCounterexample } from "../../src/search/counterexample.js";
import { findScenario, runScenario } from "../../src/search/search.js";
import { parseTrace, replayTrace } from "../../src/sim/replay.js";

describe("VR's planted bugs are caught", () => {
  it("every mutant has a search that catches it", () => {
    expect(plantedBugCatches.map((entry) => entry.mutant).sort()).toEqual([...vrMutationNames].sort());
    for (const entry of plantedBugCatches) expect(findScenario(vrProtocol, entry.scenario)).toBeDefined();
  });

  it("docs/RULES.md names every VR planted bug with the scenario and invariant that catch it, and every VR scenario", () => {
    const table = readFileSync(new URL("../../docs/RULES.md", import.meta.url), "utf8");
    for (const entry of plantedBugCatches)
      expect(table).toContain(`\`${entry.mutant}\` (${entry.scenario}, ${entry.invariant}`);
    for (const scenario of vrProtocol.search.scenarios) expect(table).toContain(scenario.name);
  });

  it("a planted bug the search cannot settle is caught by the simulator test it names", () => {
    for (const entry of plantedBugCatches.filter((candidate) => candidate.simulatorOnly !== undefined)) {
      const test = readFileSync(new URL(`../../${entry.simulatorOnly!.test}`, import.meta.url), "utf8");
      expect(test).toContain(`"${entry.mutant}"`);
    }
  });

  for (const entry of plantedBugCatches.filter((candidate) => candidate.simulatorOnly === undefined)) {
    it(`${entry.mutant} by ${entry.scenario}: ${entry.shows}`, () => {
      const scenario = findScenario(vrProtocol, entry.scenario)!;
      // Time bounds stretched for loaded machines: the run stops at the bug, so it costs nothing when fast.
      const outcome = runScenario(scenario, {
        protocol: vrProtocol,
        mutations: [entry.mutant],
        timeScale: 5,
      });
      expect(outcome.violation?.invariant, outcome.goalMissing ?? "").toBe(entry.invariant);
      // The minimizer stops once the trace is 1-minimal (asserted below): the bound only gives
      // room on a loaded machine, where 10 s did not always suffice.
      const counterexample = buildCounterexample(outcome.world, scenario, outcome.violation!, {
        minimizeSeconds: 45,
      });
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(counterexample.foundLength);
      // ddmin and the single-event pass ran to the end: no single event of the trace can go.
      expect(counterexample.minimization?.complete).toBe(true);
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(80);
      // The saved JSON replays against fresh actors and breaks the same invariant.
      const replayed = replayTrace(parseTrace(JSON.stringify(counterexample.saved), vrProtocol), vrProtocol);
      expect(replayed.diverged).toBeNull();
      expect(replayed.reproduced).toBe(true);
      expect(replayed.applied).toBe(counterexample.saved.events.length);
    }, 120_000);
  }
});
