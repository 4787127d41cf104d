// The search tests with faults (issue 5 §3): failovers that must carry the
// at-most-once table, a primary restarted under its name, random deep walks
// with crashes and restarts, and a backup restarted under its name whose old
// messages reach the new process (restarted-backup: this search found a lost
// acknowledged put, fixed by pairing roles and acks with incarnations).
// Same checks as scenarios.test.ts: liveness phases reach their goal,
// safety phases find no violation within their bounds.
//
// PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds.
import { expect, it } from "vitest";
import { scenarios } from "../../src/protocols/pb/search/scenarios.js";
import { describeScenarios, faultFreeScenarioNames, faultScenarioNames } from "../support/searchScenarios.js";

it("every scenario is run by one of the search test files", () => {
  expect([...faultFreeScenarioNames, ...faultScenarioNames].sort()).toEqual(
    scenarios.map((scenario) => scenario.name).sort(),
  );
});

describeScenarios("search scenarios with crashes and restarts, correct protocol", faultScenarioNames);
