// The search tests (issue 5 §3), after DSLabs lab 2's PrimaryBackupTest
// search tests, run against the correct protocol. Each scenario has a
// liveness part (reach phases: the goal state is reachable — the client
// finishes, the view settles, forwards really do arrive out of order — and
// recover phases: after the faults stop the goal is still reachable) and a
// safety part (explore phases: no invariant of DESIGN §1 breaks within the
// bounds: linearizable results, one primary answering per view, the backup
// never ahead of or different from its primary, view rules).
//
// PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds.
import { describe, expect, it } from "vitest";
import { scenarios } from "../../src/search/scenarios.js";
import { runScenario } from "../../src/search/search.js";

const seconds =
  process.env.PBKV_SEARCH_SECONDS === undefined ? undefined : Number(process.env.PBKV_SEARCH_SECONDS);

/** The fault-free scenarios; faultScenarios.test.ts has those with crashes and restarts (two files run in parallel). */
const names = ["single-server", "view-changes", "reordered-forwards"];

describe("search scenarios, correct protocol", () => {
  for (const scenario of scenarios.filter((candidate) => names.includes(candidate.name))) {
    it(`${scenario.name}: every goal reachable, no violation within the bounds`, () => {
      const outcome = runScenario(scenario, { seconds });
      expect(
        outcome.violation === null ? null : `${outcome.violation.invariant}: ${outcome.violation.message}`,
      ).toBeNull();
      expect(outcome.goalMissing).toBeNull();
      expect(outcome.phases.map((phase) => phase.phase)).toEqual(scenario.phases.map((phase) => phase.name));
      for (const phase of outcome.phases) {
        if (phase.kind === "explore")
          expect(phase.outcome === "exhausted" || phase.states > 1_000).toBe(true);
        else expect(phase.outcome).toBe("goal");
      }
    }, 120_000);
  }
});
