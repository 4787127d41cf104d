// The search tests with faults (issue 5 §3): failovers that must carry the
// at-most-once table, a primary restarted under its name, random deep walks
// with crashes and restarts, and a backup restarted under its name whose old
// messages reach the new process (restarted-backup: this search found a lost
// acknowledged put, fixed by pairing roles and acks with incarnations).
// Same structure as scenarios.test.ts: liveness phases reach their goal,
// safety phases find no violation within their bounds.
//
// PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds.
import { describe, expect, it } from "vitest";
import { scenarios } from "../../src/search/scenarios.js";
import { runScenario } from "../../src/search/search.js";

const seconds =
  process.env.PBKV_SEARCH_SECONDS === undefined ? undefined : Number(process.env.PBKV_SEARCH_SECONDS);

const names = ["failover-at-most-once", "primary-restart", "random-deep", "restarted-backup"];
const faultFree = ["single-server", "view-changes", "reordered-forwards"]; // scenarios.test.ts

it("every scenario is run by one of the search test files", () => {
  expect([...faultFree, ...names].sort()).toEqual(scenarios.map((scenario) => scenario.name).sort());
});

describe("search scenarios with crashes and restarts, correct protocol", () => {
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
