// From events to operations: pairs each invoke with its completion, rejects
// impossible sequences, and keeps only what constrains linearizability.
import type { HistoryEvent, HistoryFunction } from "../schemas/history.js";
import { HistoryFormatError } from "./errors.js";

/** One operation as the search sees it. */
export interface Operation {
  /** Position in its key's list (ordered by call); the number shown in reports. */
  id: number;
  key: string;
  process: number;
  f: HistoryFunction;
  /** put / append: the argument; get: the value read. */
  value: string;
  /** `ok`: it happened. `info`: unknown — it may take effect any time after its call, or never. */
  status: "ok" | "info";
  /** Invoke time (the event's position when the history has no times). */
  call: number;
  /** Completion time; `Infinity` for `info`. */
  return: number;
  /** Line of the invoke (see `HistoryFormatError.line`). */
  invokeLine: number;
  /** Line of the completion; null when the op never completed. */
  completeLine: number | null;
}

export interface PreparedHistory {
  /** Operations per key, keys in order of first appearance. */
  keys: Map<string, Operation[]>;
  /** Operations left out: `fail`ed ones (never happened) and gets with unknown outcome. */
  opsDropped: number;
}

interface Outstanding {
  event: HistoryEvent;
  index: number;
}

/**
 * Validates a history and builds the operations of each key. Throws
 * `HistoryFormatError` at the first impossible event. `lines` maps each event
 * to its line in a file; without it, lines are event positions (1-based).
 */
export function prepareHistory(events: readonly HistoryEvent[], lines?: readonly number[]): PreparedHistory {
  const pairing = new Pairing(events, lines);
  events.forEach((event, index) => {
    if (event.type === "invoke") pairing.onInvoke(event, index);
    else pairing.onCompletion(event, index);
  });
  return pairing.finish();
}

/** Pairs invokes with completions in line order, one outstanding op per process. */
class Pairing {
  private readonly timed: boolean;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly keys = new Map<string, Operation[]>();
  private opsDropped = 0;

  constructor(
    events: readonly HistoryEvent[],
    private readonly lines: readonly number[] | undefined,
  ) {
    this.timed = events[0]?.time !== undefined;
  }

  onInvoke(event: HistoryEvent, index: number): void {
    const line = this.checkTime(event, index);
    const current = this.outstanding.get(event.process);
    if (current !== undefined) {
      const earlier = this.lineOf(current.index);
      throw new HistoryFormatError(
        line,
        `process ${event.process} invokes while its op from line ${earlier} is outstanding`,
      );
    }
    if (event.f !== "get" && event.value === undefined) {
      throw new HistoryFormatError(line, `${event.f} invoke without a value`);
    }
    this.outstanding.set(event.process, { event, index });
  }

  onCompletion(event: HistoryEvent, index: number): void {
    const line = this.checkTime(event, index);
    const current = this.outstanding.get(event.process);
    if (current === undefined) {
      throw new HistoryFormatError(
        line,
        `${event.type} for process ${event.process} without an outstanding invoke`,
      );
    }
    const invoke = current.event;
    if (invoke.f !== event.f || invoke.key !== event.key) {
      throw new HistoryFormatError(
        line,
        `${event.type} is ${event.f} on key ${JSON.stringify(event.key)} but its invoke (line ${this.lineOf(current.index)}) ` +
          `is ${invoke.f} on key ${JSON.stringify(invoke.key)}`,
      );
    }
    if (this.timed && (event.time ?? 0) < (invoke.time ?? 0)) {
      throw new HistoryFormatError(
        line,
        `completes at time ${event.time} before its invoke at ${invoke.time}`,
      );
    }
    this.outstanding.delete(event.process);
    const complete = { event, index };
    if (event.type === "fail") {
      this.opsDropped++; // It never happened.
    } else if (invoke.f !== "get") {
      this.add(current, event.type === "ok" ? "ok" : "info", invoke.value ?? "", complete);
    } else if (event.type === "ok") {
      if (event.value === undefined) throw new HistoryFormatError(line, "get ok without the value read");
      this.add(current, "ok", event.value, complete);
    } else {
      this.opsDropped++; // A get of unknown outcome constrains nothing.
    }
  }

  finish(): PreparedHistory {
    // An invoke that never completed is as uncertain as an info.
    for (const pending of this.outstanding.values()) {
      if (pending.event.f === "get") this.opsDropped++;
      else this.add(pending, "info", pending.event.value ?? "");
    }
    for (const list of this.keys.values()) {
      list.sort((a, b) => a.call - b.call || a.invokeLine - b.invokeLine);
      list.forEach((operation, id) => (operation.id = id));
    }
    return { keys: this.keys, opsDropped: this.opsDropped };
  }

  /** Rejects a history where some events have a time and others not; returns the event's line. */
  private checkTime(event: HistoryEvent, index: number): number {
    const line = this.lineOf(index);
    if ((event.time !== undefined) !== this.timed) {
      throw new HistoryFormatError(line, "some events have a time and others not; give all or none a time");
    }
    return line;
  }

  private add(invoke: Outstanding, status: "ok" | "info", value: string, complete?: Outstanding): void {
    const operation: Operation = {
      id: 0,
      key: invoke.event.key,
      process: invoke.event.process,
      f: invoke.event.f,
      value,
      status,
      call: this.timeOf(invoke),
      return: status === "info" || complete === undefined ? Infinity : this.timeOf(complete),
      invokeLine: this.lineOf(invoke.index),
      completeLine: complete === undefined ? null : this.lineOf(complete.index),
    };
    let list = this.keys.get(operation.key);
    if (list === undefined) this.keys.set(operation.key, (list = []));
    list.push(operation);
  }

  private lineOf(index: number): number {
    return this.lines?.[index] ?? index + 1;
  }

  /** Without times, line order is time: the event's position is its timestamp. */
  private timeOf(at: Outstanding): number {
    return this.timed ? (at.event.time ?? 0) : at.index;
  }
}
