// The search tests' scenarios, split over files so that vitest runs them in
// parallel: pb's test/search/scenarios.test.ts (fault-free) and
// test/search/faultScenarios.test.ts (crashes and restarts), VR's
// test/search/vrScenarios.test.ts and vrEpochScenarios.test.ts
// (reconfiguration). Every file checks its scenarios the same way, defined
// once here.
import { describe, expect, it } from "vitest";
import { scenarios as pbScenarios } from "../../src/protocols/pb/search/scenarios.js";
import type { AnyProtocol } from "../../src/protocols/protocol.js";
import type { Scenario } from "../../src/search/scenario.js";
import { runScenario } from "../../src/search/search.js";

export const faultFreeScenarioNames: readonly string[] = [
  "single-server",
  "view-changes",
  "reordered-forwards",
  "stale-read",
  "demoted-primary",
  "late-transfer",
];
export const faultScenarioNames: readonly string[] = [
  "failover-at-most-once",
  "primary-restart",
  "random-deep",
  "restarted-backup",
  "new-backup-lost",
  "ack-rule",
];

/** VR's reconfiguration scenarios (issue 19 names them with "reconf" or "epoch"). */
export function isEpochScenario(name: string): boolean {
  return name.includes("reconf") || name.includes("epoch");
}

/** PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds. */
const seconds =
  process.env.PBKV_SEARCH_SECONDS === undefined ? undefined : Number(process.env.PBKV_SEARCH_SECONDS);

/** Another protocol's scenarios (default: pb's), and its explore phases' seconds when not set by PBKV_SEARCH_SECONDS. */
export interface ScenarioSuite {
  protocol?: AnyProtocol;
  scenarios?: readonly Scenario[];
  seconds?: number;
}

/**
 * One test per named scenario against the correct protocol: no violation,
 * every phase run, reach and recover phases reach their goal, explore phases
 * exhaust their state space or explore more than a token number of states.
 */
export function describeScenarios(title: string, names: readonly string[], suite: ScenarioSuite = {}): void {
  const { protocol, scenarios = pbScenarios } = suite;
  const exploreSeconds = seconds ?? suite.seconds;
  describe(title, () => {
    for (const scenario of scenarios.filter((candidate) => names.includes(candidate.name))) {
      it(`${scenario.name}: every goal reachable, no violation within the bounds`, () => {
        const outcome = runScenario(scenario, {
          ...(protocol === undefined ? {} : { protocol }),
          seconds: exploreSeconds,
          // Goals are decided by the states bound: CI once ran a 1.7 s reach phase past its 30 s.
          goalTimeScale: 4,
        });
        expect(
          outcome.violation === null ? null : `${outcome.violation.invariant}: ${outcome.violation.message}`,
        ).toBeNull();
        expect(outcome.goalMissing).toBeNull();
        expect(outcome.phases.map((phase) => phase.phase)).toEqual(
          scenario.phases.map((phase) => phase.name),
        );
        for (const phase of outcome.phases) {
          if (phase.kind === "explore")
            expect(phase.outcome === "exhausted" || phase.states > 1_000).toBe(true);
          else expect(phase.outcome).toBe("goal");
        }
      }, 120_000);
    }
  });
}
