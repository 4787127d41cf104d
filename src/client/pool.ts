// A pool of client actors for many operations in flight: each actor still
// runs one operation at a time, in order (DESIGN §1's client), and the pool
// hands an operation to an idle actor, starts a new one while under
// `sizeMax`, or queues the operation (first come, first served). An actor
// whose operation timed out is retired by its transport (a late answer must
// not be taken for the next operation's) and the pool starts a fresh one.
import type { Op } from "../schemas/op.js";

/** ok: it happened; timeout: unknown; not run: the actor did not take it (nothing happened); closed: the transport stopped. */
export type SlotOutcome =
  | { kind: "ok"; value: string }
  /** Refused by the servers (an append past the value limit): nothing changed. */
  | { kind: "failed"; error: "ValueTooLarge" }
  /** Unknown: the servers had forgotten the actor's session (it may have run once); the actor goes on. */
  | { kind: "expired" }
  | { kind: "timeout" }
  | { kind: "not run" }
  | { kind: "closed" };

/** One client actor, one operation at a time. */
export interface ActorSlot {
  invoke(op: Op, timeoutMs: number): Promise<SlotOutcome>;
  /** False once retired (after a timeout): never handed out again. */
  readonly usable: boolean;
  /** The client actor's address (`client-…`), for logs; undefined while it has none yet. */
  readonly address?: string | undefined;
  stop(): Promise<void>;
}

/** Starts client actors; null when none could be started within `timeoutMs` (the broker is away). */
export type SlotFactory = (timeoutMs: number) => Promise<ActorSlot | null>;

type Waiter = (grant: ActorSlot | "start one" | "closed") => void;

export class ActorPool {
  private readonly idle: ActorSlot[] = [];
  private readonly waiters: Waiter[] = [];
  /** Actors started and not yet retired or stopped: idle and busy ones. */
  private readonly live = new Set<ActorSlot>();
  /** Actors that exist or are starting: idle, busy and starting ones. */
  private size = 0;
  private busy = 0;
  private closed = false;
  private whenIdle: (() => void) | null = null;

  constructor(
    private readonly newSlot: SlotFactory,
    readonly sizeMax: number,
  ) {}

  /** Operations handed to an actor and not yet answered. */
  get inFlight(): number {
    return this.busy;
  }

  /** The addresses of the actors the pool holds now, idle and busy (for logs and `kv --json`). */
  get addresses(): string[] {
    return [...this.live].flatMap((slot) => (slot.address === undefined ? [] : [slot.address]));
  }

  /** Runs `op` within `timeoutMs` in all (waiting for an actor included). */
  async run(op: Op, timeoutMs: number): Promise<SlotOutcome> {
    const deadlineMs = performance.now() + timeoutMs;
    for (;;) {
      const slot = await this.acquire(deadlineMs);
      if (slot === "closed") return { kind: "closed" };
      if (slot === null) return { kind: "timeout" };
      this.busy += 1;
      let outcome: SlotOutcome;
      try {
        outcome = await slot.invoke(op, Math.max(1, deadlineMs - performance.now()));
      } finally {
        this.busy -= 1;
        this.release(slot);
      }
      // Not run: the actor was crashed by a control command before it took the op; try another.
      if (outcome.kind !== "not run" || performance.now() >= deadlineMs) return outcome;
    }
  }

  /** Refuses new work, answers queued operations `closed`, waits for those in flight, stops every actor. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter("closed");
    if (this.busy > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
    await Promise.all(this.idle.splice(0).map((slot) => slot.stop()));
    this.live.clear();
  }

  private async acquire(deadlineMs: number): Promise<ActorSlot | null | "closed"> {
    if (this.closed) return "closed";
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    if (this.size < this.sizeMax) return this.start(deadlineMs);
    const grant = await this.waitForGrant(deadlineMs);
    return grant === "start one" ? this.start(deadlineMs) : grant;
  }

  private async start(deadlineMs: number): Promise<ActorSlot | null | "closed"> {
    this.size += 1;
    let slot: ActorSlot | null = null;
    try {
      slot = await this.newSlot(Math.max(1, deadlineMs - performance.now()));
    } finally {
      if (slot === null) this.retire();
    }
    if (this.closed && slot !== null) {
      this.size -= 1;
      await slot.stop();
      return "closed";
    }
    if (slot !== null) this.live.add(slot);
    return slot;
  }

  private waitForGrant(deadlineMs: number): Promise<ActorSlot | "start one" | "closed" | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          resolve(null);
        },
        Math.max(0, deadlineMs - performance.now()),
      );
      const waiter: Waiter = (grant) => {
        clearTimeout(timer);
        resolve(grant);
      };
      this.waiters.push(waiter);
    });
  }

  private release(slot: ActorSlot): void {
    if (!slot.usable) {
      this.live.delete(slot);
      this.retire(); // its transport stopped it
    } else if (this.closed) {
      this.idle.push(slot); // close() stops it once nothing is in flight
    } else {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(slot);
      else this.idle.push(slot);
    }
    if (this.busy === 0 && this.whenIdle !== null) this.whenIdle();
  }

  /** One actor fewer: a queued operation may start a new one. */
  private retire(): void {
    this.size -= 1;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter("start one");
  }
}
