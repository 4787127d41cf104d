// Checks a whole history: one search per key (linearizability is local, so
// keys are independent), interleaved in slices so that one hard key cannot
// hide an easy violation in another.
import type { HistoryEvent } from "../schemas/history.js";
import { prepareHistory, type Operation } from "./prepare.js";
import { KeySearch } from "./search.js";

export interface CheckOptions {
  /** Give up after this many milliseconds: the result is then `unknown`, never `ok`. Default: no limit. */
  budgetMs?: number;
  /** Line of each event in its file, for errors and reports. Default: the event's 1-based position. */
  lines?: readonly number[];
  /** Give up when the searches' memo and states take about this many bytes over all keys. */
  memoryBytesMax?: number;
  /** Search steps each key takes per turn. */
  sliceSteps?: number;
}

export const memoryBytesMaxDefault = 1024 * 1024 * 1024;
/** A JS Map holds at most 2^24 entries; a key's search gives up well before its states reach that. */
export const statesPerKeyMax = 8_000_000;
export const sliceStepsDefault = 20_000;

/** Figures every result carries. */
export interface CheckSummary {
  /** Keys with at least one operation to order. */
  keys: number;
  /** Operations searched (ok ones, and writes of unknown outcome). */
  ops: number;
  /** Operations left out: failed ones, and gets of unknown outcome. */
  opsDropped: number;
  elapsedMs: number;
  /** Search steps taken over all keys (a measure of work). */
  steps: number;
}

/**
 * Where the search of a non-linearizable key got stuck. Operations are the
 * checker's view of each op: `value` is the argument of a put/append or the
 * value a get read; `return` is `Infinity` (`null` in JSON) when unknown.
 */
export interface Violation {
  key: string;
  /** Ops that cannot come next after the longest partial linearization: every one was tried and failed. */
  ops: Operation[];
  /** The register's value after the longest partial linearization. */
  state: string;
  /** The longest partial linearization found, in order. */
  linearized: Operation[];
}

/**
 * The verdict. `ok`: linearizable. `violation`: not linearizable, with where
 * it fails. `unknown`: the budget ran out before a verdict (DESIGN §7 exit 3).
 */
export type CheckResult =
  | (CheckSummary & { result: "ok" })
  | (CheckSummary & { result: "violation"; violation: Violation })
  | (CheckSummary & { result: "unknown"; reason: string; keysUnfinished: string[] });

interface KeyTask {
  key: string;
  search: KeySearch;
}

/**
 * Decides whether a history is linearizable for a string register per key.
 * Throws `HistoryFormatError` when the events cannot form a history.
 */
export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions = {}): CheckResult {
  const startedMs = performance.now();
  const budgetMs = options.budgetMs ?? Infinity;
  const memoryBytesMax = options.memoryBytesMax ?? memoryBytesMaxDefault;
  const sliceSteps = options.sliceSteps ?? sliceStepsDefault;
  const prepared = prepareHistory(events, options.lines);
  let active: KeyTask[] = [...prepared.keys].map(([key, operations]) => ({
    key,
    search: new KeySearch(operations),
  }));
  let ops = 0;
  for (const operations of prepared.keys.values()) ops += operations.length;
  let steps = 0;
  const summary = (): CheckSummary => ({
    keys: prepared.keys.size,
    ops,
    opsDropped: prepared.opsDropped,
    elapsedMs: Math.round((performance.now() - startedMs) * 10) / 10,
    steps,
  });

  while (active.length > 0) {
    const reason = giveUpReason(active, performance.now() - startedMs, budgetMs, memoryBytesMax);
    if (reason !== undefined) {
      return { ...summary(), result: "unknown", reason, keysUnfinished: active.map((task) => task.key) };
    }
    const running: KeyTask[] = [];
    for (const task of active) {
      const stepsBefore = task.search.stepsTaken;
      const status = task.search.run(sliceSteps);
      steps += task.search.stepsTaken - stepsBefore;
      if (status === "violation") return { ...summary(), result: "violation", violation: violationOf(task) };
      if (status === "running") running.push(task);
    }
    active = running;
  }
  return { ...summary(), result: "ok" };
}

function giveUpReason(
  active: readonly KeyTask[],
  elapsedMs: number,
  budgetMs: number,
  memoryBytesMax: number,
): string | undefined {
  if (elapsedMs >= budgetMs) return `time budget of ${budgetMs} ms ran out`;
  // Checked between slices: a slice adds at most `sliceSteps` memo entries and states per key.
  const memoryBytes = active.reduce((sum, task) => sum + task.search.memoryBytes, 0);
  if (memoryBytes >= memoryBytesMax) {
    return `memory bound: the search holds about ${megabytes(memoryBytes)} (limit ${megabytes(memoryBytesMax)})`;
  }
  const crowded = active.find((task) => task.search.stateCount >= statesPerKeyMax);
  if (crowded !== undefined)
    return `key ${JSON.stringify(crowded.key)} reached ${statesPerKeyMax} register states`;
  return undefined;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function violationOf(task: KeyTask): Violation {
  const stuck = task.search.stuck();
  const operations = task.search.operations;
  const pick = (indexes: readonly number[]): Operation[] =>
    indexes.map((index) => operations[index]).filter((operation) => operation !== undefined);
  return { key: task.key, ops: pick(stuck.frontier), state: stuck.state, linearized: pick(stuck.linearized) };
}
