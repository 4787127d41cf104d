// Trace minimization on every planted bug: the length of the trace the
// search found, and after each minimizer — before (the single-event pass
// alone, the checker's minimizer before ddmin) and ddmin (chunks, then the
// single-event pass; the default) — with the replays and the time each took.
// Both minimize the same found trace in the same process, so the comparison
// does not depend on the machine's load. Every minimized trace is replayed
// from its saved JSON against fresh actors and must reproduce.
// Run: npx tsx scripts/bench-minimize.ts [--json]
import { buildCounterexample } from "../src/search/counterexample.js";
import type { MinimizeStrategy } from "../src/search/minimize.js";
import { plantedBugCatches } from "../src/protocols/pb/search/mutants.js";
import { findScenario } from "../src/protocols/pb/search/scenarios.js";
import { runScenario } from "../src/search/search.js";
import { parseTrace, replayTrace } from "../src/sim/replay.js";

const strategies: readonly MinimizeStrategy[] = ["oneAtATime", "ddmin"];
/** The CLI's default bound: none of these comes near it. */
const minimizeSeconds = 30;

interface Result {
  strategy: MinimizeStrategy;
  length: number;
  replays: number;
  ms: number;
  reproduced: boolean;
}

interface Row {
  mutant: string;
  scenario: string;
  found: number;
  results: Result[];
}

const rows: Row[] = [];
for (const entry of plantedBugCatches) {
  const scenario = findScenario(entry.scenario)!;
  const outcome = runScenario(scenario, { mutations: [entry.mutant], timeScale: 5 });
  if (outcome.violation === null) throw new Error(`${entry.mutant} not caught by ${entry.scenario}`);
  const row: Row = { mutant: entry.mutant, scenario: entry.scenario, found: 0, results: [] };
  for (const strategy of strategies) {
    const counterexample = buildCounterexample(outcome.world, scenario, outcome.violation, {
      minimizeSeconds,
      minimizeStrategy: strategy,
    });
    const replayed = replayTrace(parseTrace(JSON.stringify(counterexample.saved)));
    row.found = counterexample.foundLength;
    row.results.push({
      strategy,
      length: counterexample.saved.events.length,
      replays: counterexample.minimization?.tests ?? 0,
      ms: Math.round((counterexample.minimization?.seconds ?? 0) * 10_000) / 10,
      reproduced: replayed.reproduced && replayed.diverged === null,
    });
  }
  rows.push(row);
}

if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
else {
  const header = strategies.map((strategy) => `${strategy}: events, replays, ms`);
  console.log(`| mutant | scenario | found | ${header.join(" | ")} |`);
  console.log(`|---|---|---:|${strategies.map(() => "---:|").join("")}`);
  for (const row of rows) {
    const cells = row.results.map(
      (result) =>
        `${result.length}, ${result.replays}, ${result.ms}${result.reproduced ? "" : " (NOT REPRODUCED)"}`,
    );
    console.log(`| ${row.mutant} | ${row.scenario} | ${row.found} | ${cells.join(" | ")} |`);
  }
}
if (rows.some((row) => row.results.some((result) => !result.reproduced))) process.exitCode = 1;
