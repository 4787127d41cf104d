// Shared by the checker's tests: where things are, and a compact way to write histories.
import path from "node:path";
import type { HistoryEvent, HistoryFunction } from "../../src/schemas/history.js";
import { type CliRun, repoRoot, runCli } from "../support/cli.js";

export { repoRoot };
export type { CliRun };
/** Copies of the labelled histories, inside the repository. */
export const historiesDirectory = path.join(repoRoot, "test/check/histories");
/** The originals, next to the repository (absent on a clean CI checkout). */
export const sharedHistoriesDirectory = path.resolve(repoRoot, "../shared/histories");

/** One op for `historyOf`: times are explicit; `end` says how it completed. */
export interface OpSpec {
  process: number;
  f: HistoryFunction;
  key?: string;
  /** put / append: the argument; get: the value read. */
  value?: string;
  call: number;
  /** A time for ok, or "info" / "fail" at `call + 1`, or "pending" (never completed). */
  end: number | "info" | "fail" | "pending";
}

/** Builds the events of `ops`, in time order (completions before invokes on ties). */
export function historyOf(ops: readonly OpSpec[]): HistoryEvent[] {
  const timed: { event: HistoryEvent; order: number }[] = [];
  for (const op of ops) {
    const key = op.key ?? "k";
    const invoke: HistoryEvent = { type: "invoke", process: op.process, f: op.f, key, time: op.call };
    if (op.f !== "get" && op.value !== undefined) invoke.value = op.value;
    timed.push({ event: invoke, order: 1 });
    if (op.end === "pending") continue;
    const type = typeof op.end === "number" ? "ok" : op.end;
    const time = typeof op.end === "number" ? op.end : op.call + 1;
    const complete: HistoryEvent = { type, process: op.process, f: op.f, key, time };
    if (op.value !== undefined && (op.f !== "get" || type === "ok")) complete.value = op.value;
    timed.push({ event: complete, order: 0 });
  }
  return timed
    .map((entry, index) => ({ ...entry, index }))
    .sort((a, b) => (a.event.time ?? 0) - (b.event.time ?? 0) || a.order - b.order || a.index - b.index)
    .map((entry) => entry.event);
}

/** Runs the check CLI as `npm run check` does, with `input` on stdin. */
export function runCheckCli(args: readonly string[], input?: string): Promise<CliRun> {
  return runCli("check", args, input);
}

/** Events as JSONL text. */
export function toJsonl(events: readonly HistoryEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join("\n") + "\n";
}

/**
 * A key whose search takes about 16! steps: 16 concurrent appends of distinct
 * values, a concurrent put (which keeps the prefix pruning off until placed)
 * and a later read no order explains. Linearizability checking is NP-complete;
 * this is the shape that shows it.
 */
export function hardOps(key = "k", processBase = 0): OpSpec[] {
  const ops: OpSpec[] = [];
  for (let index = 0; index < 16; index++) {
    ops.push({
      process: processBase + index,
      key,
      f: "append",
      value: `${index};`,
      call: index,
      end: 100 + index,
    });
  }
  ops.push({ process: processBase + 16, key, f: "put", value: "p", call: 20, end: 120 });
  ops.push({ process: processBase + 17, key, f: "get", value: "impossible", call: 200, end: 201 });
  return ops;
}
