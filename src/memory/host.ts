// One actor on the in-memory network: the in-process counterpart of the
// broker's ActorHost (src/broker/actorHost.ts). The actor runs in an
// ActorCell (src/actors/cell.ts), as on every host; this adds only the
// transport (the memory network), real time, real timers and Math.random,
// and reports what the actor emits as the same cluster events the broker
// hosts publish. Crash drops the state and the timers; restart starts from
// the initial state under the same address.
import { nanoid } from "nanoid";
import type { z } from "zod";
import { ActorCell, type CellFailure, type CellHost } from "../actors/cell.js";
import type { ActorDefinition, Context, Logger } from "../actors/context.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import {
  type ClusterEventBody,
  clusterEventOfActorEvent,
  type NodeStatus,
} from "../schemas/clusterEvents.js";
import type { Envelope } from "../schemas/envelope.js";
import { parseWith } from "../schemas/parse.js";
import type { MemoryNetwork } from "./network.js";
import { TimerSet } from "./timers.js";

export interface MemoryHostOptions<State> {
  address: Address;
  definition: ActorDefinition<State>;
  /** The protocol's wire form (`protocol.envelope`): what arrives is checked against it, as on the broker. */
  envelope: z.ZodType<Envelope>;
  network: MemoryNetwork;
  log: Logger;
  /** Check the actor's invariants after every event. */
  checkInvariants: boolean;
  /** Cluster events (view, role, transfer, lifecycle) as a broker host would publish them. */
  onClusterEvent: (body: ClusterEventBody) => void;
  /** Everything the actor emits, for its driver (clients' results). */
  onActorEvent?: (event: ActorEvent) => void;
  /** The actor failed (a handler threw, an invariant broke); the cell has stopped it and logged the error. */
  onFailure?: (failure: CellFailure) => void;
  /** After each event the actor ran (start, message, timer, driver input): the cluster checks its invariants. */
  afterEvent?: () => void;
}

export class MemoryHost<State> {
  readonly address: Address;
  private readonly cell: ActorCell<State>;
  private stopped = false;
  private readonly timers = new TimerSet();

  constructor(private readonly options: MemoryHostOptions<State>) {
    this.address = options.address;
    this.cell = new ActorCell(options.address, options.definition, this.cellHost(), {
      checkInvariants: options.checkInvariants,
      log: options.log,
      onFailure: (failure) => this.onFailure(failure),
    });
  }

  get kind(): string {
    return this.options.definition.kind;
  }

  get isUp(): boolean {
    return !this.stopped && this.cell.isUp;
  }

  /** The actor's state while it is up (for the cluster-wide invariants), else null. */
  get state(): State | null {
    return this.isUp ? this.cell.state : null;
  }

  /** What the broker's `status` control command would answer (servers only), while it is up; else null. */
  get status(): NodeStatus | null {
    const state = this.state;
    return state === null ? null : (this.options.definition.status?.(state) ?? null);
  }

  /** Real timers this actor has pending. */
  get pendingTimers(): number {
    return this.timers.pending;
  }

  start(): void {
    this.options.network.attach(this.address, (message) => this.deliver(message));
    this.options.onClusterEvent({ type: "lifecycle", state: "started", detail: this.kind });
    this.cell.start();
    this.ran(true);
  }

  /** Runs a driver input (a client's invoke) as an event; false when the actor is down. */
  act(input: (state: State, ctx: Context) => void): boolean {
    if (this.stopped) return false;
    return this.ran(this.cell.act("driver input", input));
  }

  /** Drops the state and the timers; incoming messages are refused until a restart. */
  crash(): string {
    if (!this.cell.crash()) return "already crashed";
    this.options.onClusterEvent({ type: "lifecycle", state: "crashed" });
    return "crashed: state dropped, timers cancelled, incoming traffic refused";
  }

  restart(): string {
    const wasCrashed = this.cell.crashed;
    if (!wasCrashed) this.crash();
    this.cell.start();
    this.ran(true);
    this.options.onClusterEvent({ type: "lifecycle", state: "restarted" });
    return wasCrashed ? "restarted with a fresh state" : "crashed and restarted with a fresh state";
  }

  /** For good: timers cancelled, off the network. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cell.crash();
    this.timers.clear({ close: true });
    this.options.network.detach(this.address);
  }

  describe(): string {
    return this.stopped ? "stopped" : this.cell.describe();
  }

  private deliver(message: Envelope): boolean {
    if (!this.isUp) return false;
    const parsed = parseWith(this.options.envelope, message);
    if (!parsed.ok) {
      // An actor of this process sent it: a bug in that actor, refused before it reaches this one.
      this.options.log.warn({ from: message.from, reason: parsed.error }, "invalid message rejected");
      return false;
    }
    return this.ran(this.cell.deliver(parsed.value));
  }

  /** `afterEvent` when an event ran; passes `ran` on. */
  private ran(ran: boolean): boolean {
    if (ran) this.options.afterEvent?.();
    return ran;
  }

  /** Loud, as on the broker: the cell logged at error level; the console shows the reason. */
  private onFailure(failure: CellFailure): void {
    this.options.onClusterEvent({
      type: "lifecycle",
      state: "crashed",
      detail: `${failure.error.name}: ${failure.error.message}`,
    });
    this.options.onFailure?.(failure);
  }

  private cellHost(): CellHost {
    return {
      now: () => performance.now(),
      random: () => Math.random(),
      messageId: () => nanoid(),
      sentAt: () => performance.timeOrigin + performance.now(),
      transmit: (envelope) => {
        if (!this.stopped) this.options.network.send(envelope);
      },
      schedule: (timer, afterMs, life) => {
        if (!this.stopped) this.timers.after(afterMs, () => this.ran(this.cell.fire(timer, life)));
      },
      cancelTimers: () => this.timers.clear(),
      emit: (event) => this.onEmit(event),
    };
  }

  private onEmit(event: ActorEvent): void {
    this.options.onActorEvent?.(event);
    const body = clusterEventOfActorEvent(event);
    if (body !== null) this.options.onClusterEvent(body);
  }
}
