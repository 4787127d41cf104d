// Planted bugs (issue 5 §4): each mutant of ProtocolConfig.mutations is
// caught by a search scenario that the correct protocol passes
// (scenarios.test.ts), breaking the invariant it should, with a minimized
// trace that replays against fresh actors from its saved JSON.
import { describe, expect, it } from "vitest";
import { type Mutation, mutationNames } from "../../src/actors/config.js";
import { buildCounterexample } from "../../src/search/counterexample.js";
import type { InvariantName } from "../../src/search/invariants.js";
import { findScenario } from "../../src/search/scenarios.js";
import { runScenario } from "../../src/search/search.js";
import { parseTrace, replayTrace } from "../../src/sim/replay.js";

interface Catch {
  mutant: Mutation;
  scenario: string;
  invariant: InvariantName;
  /** What the bug looks like, for the test name. */
  shows: string;
}

const catches: Catch[] = [
  {
    mutant: "backupAcceptsAnyView",
    scenario: "view-changes",
    invariant: "backupConsistent",
    shows: "a backup applies a stale forward from an older view and gets ahead of its primary",
  },
  {
    mutant: "replyBeforeBackupAck",
    scenario: "view-changes",
    invariant: "linearizable",
    shows: "an answered put is missing after the backup takes over",
  },
  {
    mutant: "transferWithoutAtMostOnce",
    scenario: "failover-at-most-once",
    invariant: "linearizable",
    shows: "an append retried across two failovers applies twice",
  },
  {
    mutant: "promoteIdleServer",
    scenario: "view-changes",
    invariant: "actor",
    shows: "the view server makes an idle server primary",
  },
  {
    mutant: "serveDuringTransfer",
    scenario: "view-changes",
    invariant: "backupConsistent",
    shows: "the backup installs a transfer older than what the primary served",
  },
  {
    mutant: "ignorePrimaryRestart",
    scenario: "primary-restart",
    invariant: "liveness",
    shows: "a restarted primary is kept and the client never finishes",
  },
];

describe("planted bugs are caught", () => {
  it("every mutant has a search that catches it", () => {
    expect(catches.map((entry) => entry.mutant).sort()).toEqual([...mutationNames].sort());
  });

  for (const entry of catches) {
    it(`${entry.mutant} by ${entry.scenario}: ${entry.shows}`, () => {
      const scenario = findScenario(entry.scenario)!;
      // Time bounds stretched for loaded machines: the run stops at the bug, so it costs nothing when fast.
      const outcome = runScenario(scenario, { mutations: [entry.mutant], timeScale: 5 });
      expect(outcome.violation?.invariant, outcome.goalMissing ?? "").toBe(entry.invariant);
      const counterexample = buildCounterexample(outcome.world, scenario, outcome.violation!, {
        minimizeSeconds: 10,
      });
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(counterexample.foundLength);
      expect(counterexample.saved.events.length).toBeLessThanOrEqual(80);
      // The saved JSON replays against fresh actors and breaks the same invariant.
      const replayed = replayTrace(parseTrace(JSON.stringify(counterexample.saved)));
      expect(replayed.diverged).toBeNull();
      expect(replayed.reproduced).toBe(true);
      expect(replayed.applied).toBe(counterexample.saved.events.length);
    }, 120_000);
  }
});
