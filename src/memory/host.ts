// One actor on the in-memory network: the in-process counterpart of the
// broker's ActorHost (src/broker/actorHost.ts). It implements the Context
// with real time, real timers and Math.random, runs each handler to
// completion, and reports what the actor emits as the same cluster events the
// broker hosts publish. Crash drops the state and the timers; restart starts
// from the initial state under the same address.
import { nanoid } from "nanoid";
import type { ActorDefinition, Context, Logger } from "../actors/context.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import { type ClusterEventBody, clusterEventOfActorEvent } from "../schemas/clusterEvents.js";
import type { Envelope } from "../schemas/envelope.js";
import type { MessageBody } from "../protocols/pb/messages.js";
import type { Timer } from "../protocols/pb/timers.js";
import type { MemoryNetwork } from "./network.js";
import { TimerSet } from "./timers.js";

export interface MemoryHostOptions<State> {
  address: Address;
  definition: ActorDefinition<State>;
  network: MemoryNetwork;
  log: Logger;
  /** Check the actor's invariants after every event. */
  checkInvariants: boolean;
  /** Cluster events (view, role, transfer, lifecycle) as a broker host would publish them. */
  onClusterEvent: (body: ClusterEventBody) => void;
  /** Everything the actor emits, for its driver (clients' results). */
  onActorEvent?: (event: ActorEvent) => void;
}

export class MemoryHost<State> {
  readonly address: Address;
  private state: State | null = null;
  private crashed = false;
  private stopped = false;
  private timers = new TimerSet();
  private readonly context: Context;

  constructor(private readonly options: MemoryHostOptions<State>) {
    this.address = options.address;
    this.context = {
      self: options.address,
      send: (to, body) => this.send(to, body),
      setTimer: (timer, afterMs) => this.setTimer(timer, afterMs),
      now: () => performance.now(),
      random: () => Math.random(),
      emit: (event) => this.onEmit(event),
      log: options.log,
    };
  }

  get kind(): ActorDefinition<State>["kind"] {
    return this.options.definition.kind;
  }

  get isUp(): boolean {
    return !this.crashed && !this.stopped && this.state !== null;
  }

  /** Real timers this actor has pending. */
  get pendingTimers(): number {
    return this.timers.pending;
  }

  start(): void {
    this.options.network.attach(this.address, (message) => this.deliver(message));
    this.options.onClusterEvent({ type: "lifecycle", state: "started", detail: this.kind });
    this.init();
  }

  /** Runs a driver input (a client's invoke) as an event; false when the actor is down. */
  act(input: (state: State, ctx: Context) => void): boolean {
    const state = this.state;
    if (state === null || !this.isUp) return false;
    this.runEvent("driver input", () => input(state, this.context));
    return true;
  }

  /** Drops the state and the timers; incoming messages are refused until a restart. */
  crash(): string {
    if (this.crashed) return "already crashed";
    this.crashed = true;
    this.dropState();
    this.options.onClusterEvent({ type: "lifecycle", state: "crashed" });
    return "crashed: state dropped, timers cancelled, incoming traffic refused";
  }

  restart(): string {
    const wasCrashed = this.crashed;
    if (!wasCrashed) this.crash();
    this.crashed = false;
    this.init();
    this.options.onClusterEvent({ type: "lifecycle", state: "restarted" });
    return wasCrashed ? "restarted with a fresh state" : "crashed and restarted with a fresh state";
  }

  /** For good: timers cancelled, off the network. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.clear({ close: true });
    this.state = null;
    this.options.network.detach(this.address);
  }

  describe(): string {
    if (this.crashed) return "crashed";
    return this.state === null ? "stopped" : this.options.definition.describe(this.state);
  }

  // ---------------------------------------------------------------- the actor's life

  private init(): void {
    this.state = null;
    this.runEvent("init", () => {
      this.state = this.options.definition.init(this.context);
    });
  }

  private deliver(message: Envelope): boolean {
    const state = this.state;
    if (state === null || !this.isUp) return false;
    this.runEvent("message", () => this.options.definition.onMessage(state, message, this.context));
    return true;
  }

  /** One handler to completion, then the invariants; a throw is a bug: the actor stops as if crashed. */
  private runEvent(what: string, handler: () => void): void {
    try {
      handler();
      if (this.options.checkInvariants && this.state !== null) this.options.definition.invariants(this.state);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.options.log.warn({ during: what, err: failure }, "actor failed: crashing it");
      this.crashed = true;
      this.dropState();
      this.options.onClusterEvent({
        type: "lifecycle",
        state: "crashed",
        detail: `${failure.name}: ${failure.message}`,
      });
    }
  }

  private dropState(): void {
    this.state = null;
    // A fresh set: timers of the earlier life can never fire into the next one.
    this.timers.clear({ close: true });
    this.timers = new TimerSet();
  }

  // ---------------------------------------------------------------- the context

  private send(to: Address, body: MessageBody): void {
    if (this.crashed || this.stopped) return;
    const definition = this.options.definition;
    this.options.network.send({
      v: 1,
      id: nanoid(),
      from: this.address,
      to,
      // While init runs there is no state yet: what it sends belongs to view 0.
      viewNum: this.state === null ? 0 : definition.viewNum(this.state),
      sentAt: performance.timeOrigin + performance.now(),
      body,
    });
  }

  private setTimer(timer: Timer, afterMs: number): void {
    if (this.crashed || this.stopped) return;
    this.timers.after(afterMs, () => {
      const state = this.state;
      if (state === null || !this.isUp) return;
      this.runEvent(`timer ${timer.type}`, () => this.options.definition.onTimer(state, timer, this.context));
    });
  }

  private onEmit(event: ActorEvent): void {
    this.options.onActorEvent?.(event);
    const body = clusterEventOfActorEvent(event);
    if (body !== null) this.options.onClusterEvent(body);
  }
}
