// Closed-loop load for the benchmark: each worker runs one operation at a
// time through its own client actor (the protocol's client, on its own queue)
// and invokes the next as soon as the last one is answered. The client actors
// live in the bench process, on one connection per cluster, so every system
// is driven the same way. A meter counts the operations completed while it
// runs and keeps their latencies.
import type { BrokerClients, ClientSession, OpOutcome } from "../broker/clients.js";
import type { Op } from "../schemas/op.js";
import type { NextOp } from "./workload.js";

/** One operation as the load saw it (performance.now() milliseconds). */
export interface OpSample {
  worker: number;
  invokedMs: number;
  completedMs: number;
  ok: boolean;
  /** A get (a read), not an update: chain replication serves the two at different servers. */
  read: boolean;
}

export interface MeterResult {
  ops: number;
  elapsedMs: number;
  latenciesMs: number[];
}

/** A measured window and what the cluster did meanwhile. */
export interface WindowResult extends MeterResult {
  viewChanges: number;
}

/** What a worker drives: one operation at a time. */
export interface BenchSession {
  invoke(op: Op, timeoutMs: number): Promise<OpOutcome>;
  /** Retired after a timeout: the pool hands out a fresh one. */
  readonly isRetired: boolean;
}

/** Sessions of one system, made once and reused by every row that drives it. */
export interface SessionPool {
  /** Makes sure `count` sessions exist. */
  ensure(count: number): Promise<void>;
  /** The worker's session (a fresh one when it was retired). */
  session(index: number): Promise<BenchSession>;
  close(): Promise<void>;
}

/** Client actors of one cluster, made once and reused by every row that drives it. */
export class ClientPool implements SessionPool {
  private readonly sessions: (ClientSession | null)[] = [];

  constructor(
    private readonly clients: BrokerClients,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Makes sure `count` client actors exist (new ones are started side by side). */
  async ensure(count: number): Promise<void> {
    const starting: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      if (this.sessions[index] === undefined || this.sessions[index] === null) {
        this.sessions[index] = null;
        starting.push(this.replace(index).then(() => {}));
      }
    }
    await Promise.all(starting);
  }

  /** The worker's client actor, replaced by a fresh one when it was retired (after a timeout). */
  async session(index: number): Promise<ClientSession> {
    const session = this.sessions[index];
    if (session !== null && session !== undefined && !session.isRetired) return session;
    return this.replace(index);
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((session) => session?.stop()));
    this.sessions.length = 0;
  }

  private async replace(index: number): Promise<ClientSession> {
    const session = await this.clients.newClient(this.connectTimeoutMs);
    this.sessions[index] = session;
    return session;
  }
}

export interface ClosedLoopOptions {
  pool: SessionPool;
  workers: number;
  nextOp: NextOp;
  /** An op unanswered this long retires its client actor (the op may still happen). */
  opTimeoutMs: number;
  /** Told about every operation, answered or not. */
  onOp?: (sample: OpSample) => void;
}

export class ClosedLoop {
  /** Operations answered since the start. */
  completedOps = 0;
  /** Operations that timed out since the start. */
  timedOutOps = 0;
  /** Per worker: when its outstanding operation was invoked, or null between operations. */
  readonly invokedAtMs: (number | null)[];
  private meter: { startedMs: number; ops: number; latenciesMs: number[] } | null = null;
  private stopping = false;
  private workers: Promise<void>[] = [];
  private nextNumber: number[];

  constructor(private readonly options: ClosedLoopOptions) {
    this.invokedAtMs = Array.from({ length: options.workers }, () => null);
    this.nextNumber = Array.from({ length: options.workers }, () => 0);
  }

  /** Starts every worker; their client actors must exist (`ClientPool.ensure`). */
  start(): void {
    this.workers = Array.from({ length: this.options.workers }, (_, worker) => this.work(worker));
  }

  startMeter(): void {
    this.meter = { startedMs: performance.now(), ops: 0, latenciesMs: [] };
  }

  endMeter(): MeterResult {
    const meter = this.meter;
    if (meter === null) throw new Error("endMeter without startMeter");
    this.meter = null;
    return { ops: meter.ops, elapsedMs: performance.now() - meter.startedMs, latenciesMs: meter.latenciesMs };
  }

  /** Lets every worker finish its outstanding operation, then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
  }

  private async work(worker: number): Promise<void> {
    while (!this.stopping) {
      const session = await this.options.pool.session(worker);
      const n = this.nextNumber[worker] ?? 0;
      this.nextNumber[worker] = n + 1;
      const op = this.options.nextOp(worker, n);
      const invokedMs = performance.now();
      this.invokedAtMs[worker] = invokedMs;
      const outcome = await session.invoke(op, this.options.opTimeoutMs);
      const completedMs = performance.now();
      this.invokedAtMs[worker] = null;
      const ok = outcome.kind === "ok";
      if (ok) {
        this.completedOps += 1;
        const meter = this.meter;
        if (meter !== null) {
          meter.ops += 1;
          meter.latenciesMs.push(completedMs - invokedMs);
        }
      } else {
        this.timedOutOps += 1;
      }
      this.options.onOp?.({ worker, invokedMs, completedMs, ok, read: op.f === "get" });
    }
  }
}
