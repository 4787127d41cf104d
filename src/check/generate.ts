// Random linearizable histories, for tests and the benchmark: clients run
// against a simulated atomic store, each op taking effect at one instant
// between its invoke and its completion, so every history generated here is
// linearizable by construction.
import type { HistoryEvent, HistoryFunction } from "../schemas/history.js";
import { HistoryRecorder, type RecordedOp } from "./recorder.js";

export interface GenerateOptions {
  seed: number;
  /** Operations invoked in all. */
  ops: number;
  keys: number;
  clients: number;
  /** Share of gets and of puts among ops; the rest are appends. */
  getShare?: number;
  putShare?: number;
  /** Chance that a pending op ends in `info` (taking effect before, later, or never). */
  infoRate?: number;
  /** Chance that a pending op ends in `fail` (never taking effect). */
  failRate?: number;
}

/** A value no generated op ever writes: values are made of `[0-9a-z.;]`. */
export const neverWrittenValue = "!never-written";

type Phase = "idle" | "pending" | "applied";

interface ClientState {
  phase: Phase;
  op: RecordedOp | undefined;
  /** What the op returned when it took effect (the value read, for a get). */
  result: string | undefined;
}

/** A seeded PRNG (mulberry32): floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generates a linearizable history with the given shape; the same seed gives the same history. */
export function generateHistory(options: GenerateOptions): HistoryEvent[] {
  const random = createRandom(options.seed);
  const pick = (count: number): number => Math.floor(random() * count);
  const getShare = options.getShare ?? 0.5;
  const putShare = options.putShare ?? 0.15;
  const infoRate = options.infoRate ?? 0.01;
  const failRate = options.failRate ?? 0.01;
  let time = 0;
  const recorder = new HistoryRecorder(() => time);
  const store = new Map<string, string>();
  const apply = (op: RecordedOp): string => {
    const before = store.get(op.key) ?? "";
    if (op.f === "put") store.set(op.key, op.value ?? "");
    if (op.f === "append") store.set(op.key, before + (op.value ?? ""));
    return before;
  };
  const clients: ClientState[] = Array.from({ length: options.clients }, () => ({
    phase: "idle",
    op: undefined,
    result: undefined,
  }));
  // Ops that ended in info before taking effect: each may still take effect later.
  const ghosts: RecordedOp[] = [];
  let started = 0;

  const chooseFunction = (): HistoryFunction => {
    const draw = random();
    return draw < getShare ? "get" : draw < getShare + putShare ? "put" : "append";
  };

  for (;;) {
    const busy = clients.filter((client) => client.phase !== "idle");
    if (started >= options.ops && busy.length === 0) break;
    // Ties happen (time may not move), which exercises "touching intervals are concurrent".
    time += pick(3);
    if (ghosts.length > 0 && random() < 0.05) {
      const [ghost] = ghosts.splice(pick(ghosts.length), 1);
      if (ghost !== undefined && random() < 0.5) apply(ghost);
    }
    // Once every op has started, only busy clients have something left to do.
    const client = started < options.ops ? clients[pick(clients.length)]! : busy[pick(busy.length)]!;
    const index = clients.indexOf(client);
    switch (client.phase) {
      case "idle": {
        const f = chooseFunction();
        const key = `k${pick(options.keys)}`;
        const value = f === "get" ? undefined : `${index}.${started};`;
        client.op = recorder.invoke(index, f, key, value);
        client.phase = "pending";
        started++;
        break;
      }
      case "pending": {
        const op = client.op!;
        if (random() < failRate) {
          recorder.fail(op);
          client.phase = "idle";
        } else if (random() < infoRate) {
          recorder.info(op);
          if (op.f !== "get") ghosts.push(op);
          client.phase = "idle";
        } else {
          client.result = apply(op);
          client.phase = "applied";
        }
        break;
      }
      case "applied": {
        const op = client.op!;
        if (random() < infoRate) recorder.info(op);
        else recorder.ok(op, op.f === "get" ? client.result : undefined);
        client.phase = "idle";
        break;
      }
    }
  }
  return recorder.events();
}

/**
 * Replaces the value read by one ok get (chosen by `seed`) with a value no op
 * wrote, which makes any history non-linearizable. Returns the new events and
 * the position of the changed event, or undefined when there is no ok get.
 */
export function corruptOneRead(
  events: readonly HistoryEvent[],
  seed: number,
): { events: HistoryEvent[]; index: number } | undefined {
  const reads = events.flatMap((event, index) => (event.type === "ok" && event.f === "get" ? [index] : []));
  if (reads.length === 0) return undefined;
  const index = reads[Math.floor(createRandom(seed)() * reads.length)]!;
  const corrupted = events.map((event, position) =>
    position === index ? { ...event, value: neverWrittenValue } : event,
  );
  return { events: corrupted, index };
}
