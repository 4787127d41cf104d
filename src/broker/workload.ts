// A closed-loop workload on the broker: each worker runs one op at a time
// through its own client actor and records it in a history. An op without an
// answer within `opTimeoutMs` is recorded as `info` (it may still happen) and
// the worker continues under a fresh client actor, which the recorder gives a
// new process number. `npm run load` and the integration tests use it.
import type { HistoryRecorder } from "../check/recorder.js";
import type { Op } from "../schemas/op.js";
import { type BrokerClients, type ClientSession, ClientTimeoutError } from "./clients.js";

export interface WorkloadOptions {
  clients: BrokerClients;
  workers: number;
  /** Stop invoking after this long (ops in flight finish or time out). */
  durationMs: number;
  /** Stop a worker after this many ops (default: no limit). */
  opsPerWorkerMax?: number;
  opTimeoutMs: number;
  recorder: HistoryRecorder;
  /** The n-th op (from 0) of a worker; default: random get/put/append over `keys`. */
  nextOp: (worker: number, n: number) => Op;
  /** Called after every op. */
  onOp?: (stats: WorkloadStats) => void;
  /** A fresh client actor (a fresh address) for every op, as many one-shot `npm run kv` calls would be. */
  clientPerOp?: boolean;
  /** Aborted: invoke nothing more; ops in flight end at once, recorded as info (interrupted). */
  stop?: AbortSignal;
}

export interface WorkloadStats {
  ok: number;
  /** Timed out or SessionExpired: recorded as info. */
  unknown: number;
  /** Of `unknown`, those the servers answered SessionExpired (their client's session forgotten). */
  expired: number;
  /** Not run (the client actor was crashed by a control command): recorded as fail. */
  failed: number;
  /** Latencies of the ops that succeeded, ms. */
  latenciesMs: number[];
  /** The longest any op waited, answered or not, ms. */
  maxWaitMs: number;
  elapsedMs: number;
  /** Client actors retired after a timeout. */
  clientsReplaced: number;
  /** Ops in flight when the run was stopped (also counted in `unknown`: recorded as info). */
  interrupted: number;
}

/** Random get/put/append over the keys; put and append values are unique (`x <worker> <n> y`). */
export function randomOps(
  keys: readonly string[],
  random: () => number = Math.random,
): (w: number, n: number) => Op {
  return (worker, n) => {
    const key = keys[Math.floor(random() * keys.length)] ?? "k0";
    const draw = random();
    if (draw < 1 / 3) return { f: "get", key };
    if (draw < 2 / 3) return { f: "put", key, value: `p ${worker} ${n}` };
    return { f: "append", key, value: `x ${worker} ${n} y` };
  };
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadStats> {
  const stats: WorkloadStats = {
    ok: 0,
    unknown: 0,
    expired: 0,
    failed: 0,
    latenciesMs: [],
    maxWaitMs: 0,
    elapsedMs: 0,
    clientsReplaced: 0,
    interrupted: 0,
  };
  const startedMs = performance.now();
  const deadlineMs = startedMs + options.durationMs;
  const opsMax = options.opsPerWorkerMax ?? Infinity;

  const worker = async (index: number): Promise<void> => {
    let session: ClientSession | null = null;
    try {
      let n = 0;
      while (n < opsMax && performance.now() < deadlineMs && !isStopped(options)) {
        session ??= await newClientOrNull(options);
        // null: the broker is away; try again until the deadline (or the stop).
        if (session === null || isStopped(options)) continue;
        const op = options.nextOp(index, n);
        n += 1;
        const recorded = options.recorder.invoke(index, op.f, op.key, op.f === "get" ? undefined : op.value);
        const invokedMs = performance.now();
        const outcome = await session.invoke(op, options.opTimeoutMs, options.stop);
        const waitedMs = performance.now() - invokedMs;
        stats.maxWaitMs = Math.max(stats.maxWaitMs, waitedMs);
        if (outcome.kind === "ok") {
          options.recorder.ok(recorded, op.f === "get" ? outcome.value : undefined);
          stats.ok += 1;
          stats.latenciesMs.push(waitedMs);
        } else if (outcome.kind === "expired") {
          options.recorder.info(recorded); // unknown; the client opens a new session for its next op
          stats.unknown += 1;
          stats.expired += 1;
        } else if (outcome.kind === "timeout") {
          options.recorder.info(recorded);
          stats.unknown += 1;
          if (isStopped(options)) stats.interrupted += 1;
          stats.clientsReplaced += 1;
          session = null; // retired by the timeout; the next op gets a fresh client actor
        } else {
          options.recorder.fail(recorded); // the client actor was not running: the op did not happen
          stats.failed += 1;
          stats.clientsReplaced += 1;
          session = null;
        }
        if (options.clientPerOp === true && session !== null) {
          await session.stop();
          session = null;
        }
        stats.elapsedMs = performance.now() - startedMs;
        options.onOp?.(stats);
      }
    } finally {
      if (session !== null) await session.stop();
    }
  };

  await Promise.all(Array.from({ length: options.workers }, (_, index) => worker(index)));
  stats.elapsedMs = performance.now() - startedMs;
  return stats;
}

function isStopped(options: WorkloadOptions): boolean {
  return options.stop?.aborted === true;
}

async function newClientOrNull(options: WorkloadOptions): Promise<ClientSession | null> {
  try {
    return await options.clients.newClient(options.opTimeoutMs);
  } catch (error) {
    if (error instanceof ClientTimeoutError) return null;
    throw error;
  }
}

/** The p-th percentile (0-100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Integer nanoseconds since the clock was made, for HistoryRecorder. */
export function nanosecondClock(): () => number {
  const origin = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - origin);
}
