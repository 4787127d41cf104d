// Timings of the linearizability checker: the labelled Porcupine histories and
// a generated 20,000-op, 20-key, 32-client history. Targets: c50-ok under 1 s,
// the generated history under 2 s. Run: npx tsx scripts/bench-check.ts [--json]
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkHistory, generateHistory, readHistoryFile, type CheckResult } from "../src/check/index.js";
import type { HistoryEvent } from "../src/schemas/history.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const historiesDirectory = path.join(repoRoot, "test/check/histories");
const warmRuns = 5;

interface Timing {
  name: string;
  verdict: CheckResult["result"];
  events: number;
  parseMs: number;
  /** The first check in this process: what a one-shot `npm run check` pays (JIT still cold). */
  firstCheckMs: number;
  /** Best of the next runs, once the JIT has warmed up. */
  warmCheckMs: number;
  steps: number;
}

function timeMs<T>(work: () => T): [T, number] {
  const startedMs = performance.now();
  const value = work();
  return [value, Math.round((performance.now() - startedMs) * 10) / 10];
}

function measure(name: string, events: HistoryEvent[], parseMs: number, lines?: number[]): Timing {
  const [first, firstCheckMs] = timeMs(() => checkHistory(events, lines === undefined ? {} : { lines }));
  let warmCheckMs = Infinity;
  for (let run = 0; run < warmRuns; run++)
    warmCheckMs = Math.min(warmCheckMs, timeMs(() => checkHistory(events))[1]);
  return {
    name,
    verdict: first.result,
    events: events.length,
    parseMs,
    firstCheckMs,
    warmCheckMs,
    steps: first.steps,
  };
}

function cliWallMs(file: string): number {
  const [, wallMs] = timeMs(() => {
    try {
      execFileSync(process.execPath, ["--import", "tsx", "src/cli/check.ts", file], {
        cwd: repoRoot,
        stdio: "ignore",
      });
    } catch {
      // Exit 1 (violation) is an answer, not a failure of the bench.
    }
  });
  return wallMs;
}

function main(): void {
  const timings: Timing[] = [];
  // The generated history first, so its first check is as cold as a one-shot CLI run.
  const [generated, generateMs] = timeMs(() =>
    generateHistory({ seed: 1, ops: 20_000, keys: 20, clients: 32 }),
  );
  timings.push(measure("generated 20000 ops, 20 keys, 32 clients", generated, 0));
  const files = readdirSync(historiesDirectory)
    .filter((name) => name.endsWith(".jsonl"))
    .sort();
  for (const name of files) {
    const [parsed, parseMs] = timeMs(() => readHistoryFile(path.join(historiesDirectory, name)));
    timings.push(measure(name, parsed.events, parseMs, parsed.lines));
  }
  const c50 = path.join(historiesDirectory, "porcupine-kv-c50-ok.jsonl");
  const cliMs = cliWallMs(c50);

  if (process.argv.includes("--json")) {
    process.stdout.write(JSON.stringify({ generateMs, timings, cliWallMsC50Ok: cliMs }) + "\n");
    return;
  }
  const header = ["history", "verdict", "events", "parse ms", "first check ms", "warm check ms", "steps"];
  const rows = timings.map((timing) => [
    timing.name,
    timing.verdict,
    String(timing.events),
    String(timing.parseMs),
    String(timing.firstCheckMs),
    String(timing.warmCheckMs),
    String(timing.steps),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(`\ngenerating the 20000-op history took ${generateMs} ms`);
  console.log(
    `npm run check on porcupine-kv-c50-ok.jsonl, whole process (tsx start-up included): ${cliMs} ms`,
  );
}

main();
