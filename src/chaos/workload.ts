// The load of a chaos run: closed-loop workers, one client actor each, every
// op recorded in the history. Values are unique and self-delimiting
// (`x <worker> <n> y` for appends, `p <worker> <n> y` for puts), so a final
// value can be cut back into the writes that made it. Half of the keys only
// ever get appends: every acknowledged append must stay in them for good
// (under a new name every few hundred appends, so values stay short).
//
// Until `finish`, an op without an answer within `opTimeoutMs` is recorded as
// info and its worker continues with a fresh client actor (as `npm run load`).
// After healing, each worker must complete one op: a worker that cannot within
// the settle time is "unfinished".
import type { BrokerClients, ClientSession, OpOutcome } from "../broker/clients.js";
import type { HistoryRecorder } from "../check/index.js";
import type { Op } from "../schemas/op.js";
import type { Random } from "../sim/random.js";
import { sleep } from "./observer.js";

export interface ChaosWorkloadOptions {
  clients: BrokerClients;
  workers: number;
  keys: readonly string[];
  random: Random;
  recorder: HistoryRecorder;
  opTimeoutMs: number;
}

export interface ChaosWorkloadStats {
  ok: number;
  info: number;
  fail: number;
  /** The longest an op waited, answered or not, ms. */
  maxWaitMs: number;
  clientsReplaced: number;
  unfinishedWorkers: number;
}

/** Share of gets, and of puts on keys that take puts; the rest are appends. */
const getShare = 0.35;
const putShare = 0.2;

/** Keys with an odd index only ever get appends. */
export function isAppendOnlyKey(keyIndex: number): boolean {
  return keyIndex % 2 === 1;
}

/**
 * An append-only key moves on to a fresh name (`k1`, `k1.1`, `k1.2`, …)
 * after this many appends. Its value, and every get that records it, then
 * stays a few kilobytes long, so a history grows with the run instead of with
 * its square (a 60 s run of 66,000 operations on one name per key wrote
 * 630 MB). Each name is still append-only and read back at the end.
 */
export const appendsPerKeyName = 400;

/** The names ops use for each key, and every name used so far. */
export class KeyNames {
  /** Appends issued per key index. */
  private readonly appendsIssued: number[];
  private readonly used: Set<string>;

  constructor(
    private readonly keys: readonly string[],
    private readonly appendsPerName = appendsPerKeyName,
  ) {
    this.appendsIssued = keys.map(() => 0);
    this.used = new Set(keys);
  }

  /** The name an op on key `keyIndex` uses now; an append counts towards moving on. */
  nameOf(keyIndex: number, appending: boolean): string {
    const key = this.keys[keyIndex] ?? "";
    if (!isAppendOnlyKey(keyIndex)) return key;
    const issued = this.appendsIssued[keyIndex] ?? 0;
    if (appending) this.appendsIssued[keyIndex] = issued + 1;
    const generation = Math.floor(issued / this.appendsPerName);
    const name = generation === 0 ? key : `${key}.${generation}`;
    this.used.add(name);
    return name;
  }

  /** Every name an op may have written, the initial keys first. */
  all(): string[] {
    return [...this.used];
  }
}

export function appendValue(worker: number, n: number): string {
  return `x ${worker} ${n} y`;
}

export function putValue(worker: number, n: number): string {
  return `p ${worker} ${n} y`;
}

export class ChaosWorkload {
  readonly stats: ChaosWorkloadStats = {
    ok: 0,
    info: 0,
    fail: 0,
    maxWaitMs: 0,
    clientsReplaced: 0,
    unfinishedWorkers: 0,
  };
  private healedAtMs: number | null = null;
  private settleDeadlineMs = Infinity;
  private running: Promise<boolean[]> | null = null;
  /** Aborted by `interrupt`: ops in flight end at once (as info). */
  private readonly stopNow = new AbortController();
  private readonly randoms: Random[];
  private readonly names: KeyNames;

  constructor(private readonly options: ChaosWorkloadOptions) {
    this.randoms = Array.from({ length: options.workers }, () => options.random.fork());
    this.names = new KeyNames(options.keys);
  }

  /** Every key name the load may have written, for the final reads. */
  keysWritten(): string[] {
    return this.names.all();
  }

  start(): void {
    this.running = Promise.all(
      Array.from({ length: this.options.workers }, (_, index) => this.worker(index)),
    );
  }

  /**
   * The cluster is healed: each worker finishes once it completes one op
   * after now, within `settleMs`. Resolves with the stats once all stopped.
   */
  async finish(settleMs: number): Promise<ChaosWorkloadStats> {
    this.healedAtMs = performance.now();
    this.settleDeadlineMs = this.healedAtMs + settleMs;
    const finished = await (this.running ?? Promise.resolve([]));
    this.stats.unfinishedWorkers = finished.filter((done) => !done).length;
    return this.stats;
  }

  /**
   * The command was interrupted: no more ops, the ones in flight end now
   * (recorded as info). Resolves with the stats once every worker stopped.
   */
  async interrupt(): Promise<ChaosWorkloadStats> {
    this.stopNow.abort();
    return this.finish(0);
  }

  /** Resolves true when the worker completed an op after healing. */
  private async worker(index: number): Promise<boolean> {
    const { options } = this;
    let session: ClientSession | null = null;
    let n = 0;
    try {
      for (;;) {
        const healedAtMs = this.healedAtMs;
        if (healedAtMs !== null && performance.now() >= this.settleDeadlineMs) return false;
        if (this.stopNow.signal.aborted) return false;
        const timeoutMs =
          healedAtMs === null ? options.opTimeoutMs : this.settleDeadlineMs - performance.now();
        session ??= await newClientOrNull(options.clients, Math.max(1, timeoutMs));
        if (session === null) {
          await sleep(50); // our broker connection is away (a connection kill); try again
          continue;
        }
        const op = this.nextOp(index, n);
        n += 1;
        const recorded = options.recorder.invoke(index, op.f, op.key, op.f === "get" ? undefined : op.value);
        const invokedMs = performance.now();
        const outcome = await invokeOrUnknown(
          session,
          op,
          Math.max(1, this.healedAtMs === null ? options.opTimeoutMs : this.settleDeadlineMs - invokedMs),
          this.stopNow.signal,
        );
        const doneMs = performance.now();
        this.stats.maxWaitMs = Math.max(this.stats.maxWaitMs, doneMs - invokedMs);
        if (outcome.kind === "ok") {
          options.recorder.ok(recorded, op.f === "get" ? outcome.value : undefined);
          this.stats.ok += 1;
          if (this.healedAtMs !== null && doneMs >= this.healedAtMs) return true;
          continue;
        }
        if (outcome.kind === "expired") {
          options.recorder.info(recorded); // unknown; the client opens a new session for its next op
          this.stats.info += 1;
          continue;
        }
        if (outcome.kind === "timeout") {
          options.recorder.info(recorded);
          this.stats.info += 1;
        } else {
          options.recorder.fail(recorded); // the client actor was not running: it did not happen
          this.stats.fail += 1;
        }
        this.stats.clientsReplaced += 1;
        session = null; // retired; the next op gets a fresh client actor (a fresh address)
      }
    } finally {
      if (session !== null) await session.stop();
    }
  }

  private nextOp(worker: number, n: number): Op {
    const random = this.randoms[worker];
    if (random === undefined) throw new Error(`no random stream for worker ${worker}`);
    const keyIndex = random.int(this.options.keys.length);
    const draw = random.next();
    if (draw < getShare) return { f: "get", key: this.names.nameOf(keyIndex, false) };
    if (!isAppendOnlyKey(keyIndex) && draw < getShare + putShare)
      return { f: "put", key: this.names.nameOf(keyIndex, false), value: putValue(worker, n) };
    return { f: "append", key: this.names.nameOf(keyIndex, true), value: appendValue(worker, n) };
  }
}

/** A fresh client actor, or null when it could not start (our connection is away or was cut meanwhile). */
async function newClientOrNull(clients: BrokerClients, timeoutMs: number): Promise<ClientSession | null> {
  try {
    return await clients.newClient(timeoutMs);
  } catch {
    // A timeout, or the channel closed under the attach (a connection kill); newClient stopped the session.
    return null;
  }
}

/** Runs the op; anything that goes wrong on the way makes its outcome unknown. */
async function invokeOrUnknown(
  session: ClientSession,
  op: Op,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<OpOutcome> {
  try {
    return await session.invoke(op, timeoutMs, stop);
  } catch {
    await session.stop().catch(() => {});
    return { kind: "timeout" };
  }
}
