// Chain replication's planted bugs (src/protocols/chain/plantedBugs.ts,
// ChainConfig.mutations): each is caught by the search scenario its table
// names (src/protocols/chain/search/mutants.ts), breaking the invariant it
// names, with a trace minimized to the end that replays against fresh
// actors from its saved JSON; the same scenarios pass on the correct
// protocol (chainScenarios.test.ts). As vrMutants.test.ts does for VR.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { chainMutationNames } from "../../src/protocols/chain/config.js";
import { chainProtocol } from "../../src/protocols/chain/protocol.js";
import { plantedBugCatches } from "../../src/protocols/chain/search/mutants.js";
import { buildCounterexample } from "../../src/search/counterexample.js";
import { findScenario, runScenario } from "../../src/search/search.js";
import { parseTrace, replayTrace } from "../../src/sim/replay.js";

describe("chain's planted bugs are caught", () => {
  it("every mutant has a search that catches it", () => {
    expect(plantedBugCatches.map((entry) => entry.mutant).sort()).toEqual([...chainMutationNames].sort());
    for (const entry of plantedBugCatches) expect(findScenario(chainProtocol, entry.scenario)).toBeDefined();
  });

  it("docs/RULES.md names every chain planted bug with the scenario and invariant that catch it, and every chain scenario", () => {
    const table = readFileSync(new URL("../../docs/RULES.md", import.meta.url), "utf8");
    for (const entry of plantedBugCatches)
      expect(table).toContain(`\`${entry.mutant}\` (${entry.scenario}, ${entry.invariant}`);
    for (const scenario of chainProtocol.search.scenarios) expect(table).toContain(scenario.name);
  });

  for (const entry of plantedBugCatches) {
    it(`${entry.mutant} by ${entry.scenario}: ${entry.shows}`, () => {
      const scenario = findScenario(chainProtocol, entry.scenario)!;
      // Time bounds stretched for loaded machines: the run stops at the bug, so it costs nothing when fast.
      const outcome = runScenario(scenario, {
        protocol: chainProtocol,
        mutations: [entry.mutant],
        timeScale: 5,
      });
      expect(outcome.violation?.invariant, outcome.goalMissing ?? "").toBe(entry.invariant);
      const counterexample = buildCounterexample(outcome.world, scenario, outcome.violation!, {
        minimizeSeconds: 45,
      });
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(counterexample.foundLength);
      // ddmin and the single-event pass ran to the end: no single event of the trace can go.
      expect(counterexample.minimization?.complete).toBe(true);
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(80);
      // The saved JSON replays against fresh actors and breaks the same invariant.
      const replayed = replayTrace(
        parseTrace(JSON.stringify(counterexample.saved), chainProtocol),
        chainProtocol,
      );
      expect(replayed.diverged).toBeNull();
      expect(replayed.reproduced).toBe(true);
      expect(replayed.applied).toBe(counterexample.saved.events.length);
    }, 120_000);
  }
});
