// The verdict of the last load run. `npm run load` writes its history to
// `histories/load-<cluster>-<time>.jsonl` (relative to where it runs) and
// publishes nothing, so the dashboard watches that directory: a new file of
// this cluster, once its size stops changing, is summarized (ops, ops/s,
// latency) and checked for linearizability in a child process
// (`verdict.ts`), so a long check never stalls the live view.
import { execFile } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { HistoryEvent } from "../check/index.js";
import { repositoryRoot } from "../broker/supervisor.js";
import type { LoadRun } from "./protocol.js";

/** The directory is listed this often. */
export const historiesPollMs = 1_000;
/** A file is checked once its size held still for one poll and it is at least this old. */
export const historySettleMs = 500;
/** The checker's budget; it answers `unknown` beyond. */
export const verdictBudgetMsDefault = 30_000;
/** Kept from the checker's text. */
export const verdictTextMax = 4_000;

export interface HistoryFigures {
  ops: number;
  ok: number;
  info: number;
  fail: number;
  durationS: number | null;
  opsPerSecond: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/** Operation counts, rate and latency of a history (times in nanoseconds, when recorded). */
export function summarizeHistory(events: readonly HistoryEvent[]): HistoryFigures {
  const invokedAt = new Map<number, number | undefined>();
  const latenciesMs: number[] = [];
  let ok = 0;
  let info = 0;
  let fail = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const event of events) {
    if (event.time !== undefined) {
      first = Math.min(first, event.time);
      last = Math.max(last, event.time);
    }
    if (event.type === "invoke") {
      invokedAt.set(event.process, event.time);
      continue;
    }
    if (event.type === "ok") ok += 1;
    else if (event.type === "info") info += 1;
    else fail += 1;
    const start = invokedAt.get(event.process);
    invokedAt.delete(event.process);
    if (event.type === "ok" && start !== undefined && event.time !== undefined) {
      latenciesMs.push((event.time - start) / 1e6);
    }
  }
  latenciesMs.sort((a, b) => a - b);
  const durationS = last > first ? (last - first) / 1e9 : null;
  const at = (q: number): number | null => {
    if (latenciesMs.length === 0) return null;
    const value = latenciesMs[Math.min(latenciesMs.length - 1, Math.ceil(q * latenciesMs.length) - 1)] ?? 0;
    return Math.round(value * 10) / 10;
  };
  return {
    ops: ok + info + fail,
    ok,
    info,
    fail,
    durationS: durationS === null ? null : Math.round(durationS * 100) / 100,
    opsPerSecond: durationS === null ? null : Math.round((ok / durationS) * 10) / 10,
    latencyP50Ms: at(0.5),
    latencyP99Ms: at(0.99),
  };
}

export interface LoadWatcherOptions {
  directory: string;
  cluster: string;
  budgetMs: number;
  onRun(run: LoadRun): void;
}

/** Polls the histories directory for this cluster's new load histories. */
export class LoadWatcher {
  private readonly sizes = new Map<string, number>();
  private readonly done = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private checking: string | null = null;
  private stopped = false;
  private readonly pattern: RegExp;

  constructor(private readonly options: LoadWatcherOptions) {
    const escaped = options.cluster.replace(/[-]/g, "\\-");
    this.pattern = new RegExp(`^load-${escaped}-.*\\.jsonl$`);
  }

  /** Starts polling; the newest history already there is judged first. */
  start(): void {
    const existing = this.list();
    const newest = existing.at(-1);
    for (const entry of existing) if (entry !== newest) this.done.add(entry.file);
    this.timer = setInterval(() => this.poll(), historiesPollMs);
    this.timer.unref();
    this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
  }

  private list(): { file: string; size: number; mtimeMs: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.options.directory);
    } catch {
      return []; // not there yet: `npm run load` creates it
    }
    return names
      .filter((name) => this.pattern.test(name))
      .flatMap((name) => {
        const file = path.join(this.options.directory, name);
        try {
          const stat = statSync(file);
          return [{ file, size: stat.size, mtimeMs: stat.mtimeMs }];
        } catch {
          return [];
        }
      })
      .sort((a, b) => a.mtimeMs - b.mtimeMs);
  }

  private poll(): void {
    if (this.stopped || this.checking !== null) return;
    for (const entry of this.list()) {
      if (this.done.has(entry.file)) continue;
      const previousSize = this.sizes.get(entry.file);
      this.sizes.set(entry.file, entry.size);
      const settled = previousSize === entry.size && Date.now() - entry.mtimeMs >= historySettleMs;
      if (!settled || entry.size === 0) continue;
      this.done.add(entry.file);
      this.sizes.delete(entry.file);
      this.judge(entry.file, entry.mtimeMs);
      return; // one at a time
    }
  }

  /** `writtenAt`: the file's modification time, when the run finished. */
  private judge(file: string, writtenAt: number): void {
    const at = writtenAt;
    const shown = path.relative(process.cwd(), file) || file;
    const base: LoadRun = {
      file: shown,
      at,
      status: "checking",
      ops: null,
      ok: null,
      info: null,
      fail: null,
      durationS: null,
      opsPerSecond: null,
      latencyP50Ms: null,
      latencyP99Ms: null,
      result: null,
      text: "checking…",
    };
    this.options.onRun(base);
    this.checking = file;
    const entry = path.join(repositoryRoot, "src/dashboard/verdict.ts");
    execFile(
      process.execPath,
      ["--import", "tsx", entry, file, String(this.options.budgetMs)],
      { cwd: repositoryRoot, timeout: this.options.budgetMs + 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        this.checking = null;
        if (this.stopped) return;
        const run = parseVerdict(stdout);
        if (run === null) {
          const reason = (stderr.trim() || error?.message || "no answer").slice(0, verdictTextMax);
          this.options.onRun({ ...base, status: "error", text: reason });
          return;
        }
        this.options.onRun({ ...base, ...run, file: base.file, at });
      },
    );
  }
}

/** The child's one JSON line. */
function parseVerdict(stdout: string): Partial<LoadRun> | null {
  const line = stdout.trim().split("\n").at(-1);
  if (line === undefined || line === "") return null;
  try {
    const value = JSON.parse(line) as Partial<LoadRun>;
    return typeof value === "object" && value !== null && typeof value.status === "string" ? value : null;
  } catch {
    return null;
  }
}
