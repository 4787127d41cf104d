// Records a history (DESIGN §7) as clients run: the simulator and the load
// generator use it so that what they write is what the checker reads.
import type { HistoryEvent, HistoryFunction } from "../schemas/history.js";
import { assert, fail } from "./assert.js";
import { writeJsonlFile } from "./jsonl.js";

/** Integer nanoseconds from one monotonic clock (virtual time in the simulator). */
export type HistoryClock = () => number;

/** Whatever names a client: one outstanding op per client at a time. */
export type ClientId = string | number;

/** An invoked op, handed back to complete it with `ok`, `fail` or `info`. */
export interface RecordedOp {
  readonly clientId: ClientId;
  readonly process: number;
  readonly f: HistoryFunction;
  readonly key: string;
  readonly value: string | undefined;
}

export class HistoryRecorder {
  private readonly recorded: HistoryEvent[] = [];
  /** The process each client acts as now; dropped after an info so the client gets a fresh one. */
  private readonly processOfClient = new Map<ClientId, number>();
  /**
   * Each client's outstanding op. One map keyed by client, rather than a set
   * of ops beside a set of busy clients: one lookup per invoke and per
   * completion, and no identity hash to create for every op.
   */
  private readonly openOfClient = new Map<ClientId, RecordedOp>();
  private processNext = 0;
  private timeLast = -Infinity;

  /** Without a clock, events carry no time and line order is time. */
  constructor(private readonly clock?: HistoryClock) {}

  /** Records the start of an op; `value` is the argument of a put or append. */
  invoke(clientId: ClientId, f: HistoryFunction, key: string, value?: string): RecordedOp {
    // Messages built only on failure: the simulator records an event every few microseconds.
    if (this.openOfClient.has(clientId)) fail(`client ${String(clientId)} has one outstanding op at a time`);
    if (f !== "get" && value === undefined) fail(`${f} needs a value`);
    let process = this.processOfClient.get(clientId);
    if (process === undefined) {
      process = this.processNext++;
      this.processOfClient.set(clientId, process);
    }
    const op: RecordedOp = { clientId, process, f, key, value: f === "get" ? undefined : value };
    this.openOfClient.set(clientId, op);
    this.record("invoke", op, op.value);
    return op;
  }

  /** The op happened. For a get, `value` is what it read; a put/append's ok repeats its argument. */
  ok(op: RecordedOp, value?: string): void {
    assert(op.f !== "get" || value !== undefined, "a get's ok carries the value read");
    this.complete(op, "ok", op.f === "get" ? value : op.value);
  }

  /** The op certainly did not happen. */
  fail(op: RecordedOp): void {
    this.complete(op, "fail", op.value);
  }

  /** The outcome is unknown (e.g. a timeout); the client continues under a new process number. */
  info(op: RecordedOp): void {
    this.complete(op, "info", op.value);
    this.processOfClient.delete(op.clientId);
  }

  /** The events so far, in the order they were recorded. */
  events(): HistoryEvent[] {
    return this.recorded.slice();
  }

  /** The history as JSONL, one event per line, ending with a newline when not empty. */
  toJsonl(): string {
    return this.recorded.map((event) => JSON.stringify(event) + "\n").join("");
  }

  /**
   * Writes the history to `path` as JSONL a chunk at a time: a long run that
   * reads long values (appends grow them, every get records one) makes a
   * history larger than the longest string V8 allows (about 512 MiB).
   */
  writeJsonl(path: string): void {
    writeJsonlFile(path, this.recorded);
  }

  /** Ops invoked and not yet completed. */
  get outstandingCount(): number {
    return this.openOfClient.size;
  }

  private complete(op: RecordedOp, type: "ok" | "fail" | "info", value: string | undefined): void {
    if (this.openOfClient.get(op.clientId) !== op)
      fail(`op of process ${op.process} is outstanding when completed`);
    this.openOfClient.delete(op.clientId);
    this.record(type, op, value);
  }

  private record(type: HistoryEvent["type"], op: RecordedOp, value: string | undefined): void {
    const { process, f, key } = op;
    if (this.clock === undefined) {
      this.recorded.push(value === undefined ? { type, process, f, key } : { type, process, f, key, value });
      return;
    }
    const time = this.clock();
    if (!Number.isSafeInteger(time)) fail(`history time is an integer number of nanoseconds (got ${time})`);
    if (!(time >= this.timeLast)) fail(`the history clock is monotonic (${time} after ${this.timeLast})`);
    this.timeLast = time;
    // Each event is built whole, in one field order: a long history is kept
    // until it is checked, and an object given its fields later needs a second
    // allocation for them (a simulated history is most of what survives a
    // garbage collection, so its size is most of the collector's work).
    this.recorded.push(
      value === undefined ? { type, process, f, key, time } : { type, process, f, key, value, time },
    );
  }
}
