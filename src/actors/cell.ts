import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import type { Envelope, MessageBase, TimerBase } from "../schemas/envelope.js";
import type { ActorDefinition, Context, Logger } from "./context.js";

// One actor in one place: its state, its life, its timers' validity, the
// stamping of what it sends, running one event to completion and checking its
// invariants after it, and one answer to a handler that throws. Every host
// (the simulator, the model checker, the broker, the in-memory transport, the
// unit-test probe) runs actors through this cell and keeps only its transport
// and its clock, the way every DSLabs node runs under one Node class.

/** What a host gives the cell: a transport, a clock, timers and a place for events. */
export interface CellHost {
  /** Milliseconds, virtual or real, for ctx.now(). */
  now(): number;
  /** Uniform in [0, 1), seeded in simulation. */
  random(): number;
  /** A new message id, unique in the cluster's run. */
  messageId(): string;
  /** The envelope's `sentAt`. */
  sentAt(): number;
  /** Puts a stamped envelope on the network. */
  transmit(envelope: Envelope): void;
  /** Calls `cell.fire(timer, life)` after `afterMs` (the cell drops timers of an earlier life). */
  schedule(timer: TimerBase, afterMs: number, life: number): void;
  /** Drops every timer the host holds for this cell (crash, stop). Hosts whose timers carry their life may ignore it. */
  cancelTimers(): void;
  /** Everything the actor emits, as it emits it. */
  emit(event: ActorEvent): void;
}

/** A handler threw, or the state broke an invariant: the cell has already stopped the actor. */
export interface CellFailure {
  readonly address: Address;
  readonly during: string;
  readonly error: Error;
  /** The state's one-line description as the failing event left it. */
  readonly state: string;
}

export interface CellOptions {
  /** Check the actor's invariants after every event (always in simulation and search; `--debug` on the broker). */
  checkInvariants: boolean;
  log: Logger;
  /**
   * After the cell stopped a failed actor (state dropped, timers cancelled,
   * logged at error level). The simulator rethrows (the run fails with its
   * seed), the broker's node process exits 70, the memory transport reports it.
   */
  onFailure(failure: CellFailure): void;
}

export class ActorCell<State = unknown> {
  /** null before start, while crashed or after a failure. */
  state: State | null = null;
  /** Bumped by every crash: timers of an earlier life never fire into a later one. */
  life = 0;
  private crashedFlag = false;
  readonly context: Context;

  constructor(
    readonly address: Address,
    readonly definition: ActorDefinition<State>,
    private readonly host: CellHost,
    private readonly options: CellOptions,
  ) {
    this.context = {
      self: address,
      send: (to, body) => this.send(to, body),
      setTimer: (timer, afterMs) => {
        if (!this.crashedFlag) host.schedule(timer, afterMs, this.life);
      },
      now: () => host.now(),
      random: () => host.random(),
      emit: (event) => host.emit(event),
      log: options.log,
    };
  }

  get isUp(): boolean {
    return this.state !== null && !this.crashedFlag;
  }

  get crashed(): boolean {
    return this.crashedFlag;
  }

  /** Starts (or starts again, after a crash) from the initial state. */
  start(): void {
    this.crashedFlag = false;
    this.state = null;
    this.run("init", () => {
      this.state = this.definition.init(this.context);
    });
  }

  /**
   * Puts the cell in `state` at `life`, up: a host that branches (the model
   * checker) runs each step on a copy of a state it stored.
   */
  resume(state: State, life: number): void {
    this.crashedFlag = false;
    this.state = state;
    this.life = life;
  }

  /** Delivers a message the host validated; false when the actor is down and the message is lost. */
  deliver(message: Envelope): boolean {
    const state = this.state;
    if (state === null || this.crashedFlag) return false;
    // Inline rather than through run(): no closure per message on the simulator's hot path.
    try {
      this.definition.onMessage(state, message, this.context);
      if (this.options.checkInvariants && this.state !== null) this.definition.invariants(this.state);
    } catch (caught) {
      this.fail(`message ${message.body.type} from ${message.from}`, caught);
    }
    return true;
  }

  /** A timer the host scheduled is due; ignored when it belongs to an earlier life. */
  fire(timer: TimerBase, life: number): boolean {
    const state = this.state;
    if (state === null || this.crashedFlag || life !== this.life) return false;
    try {
      this.definition.onTimer(state, timer, this.context);
      if (this.options.checkInvariants && this.state !== null) this.definition.invariants(this.state);
    } catch (caught) {
      this.fail(`timer ${timer.type}`, caught);
    }
    return true;
  }

  /** Runs a driver input (a client's invoke) as an event; false when the actor is down. */
  act(what: string, input: (state: State, ctx: Context) => void): boolean {
    const state = this.state;
    if (state === null || this.crashedFlag) return false;
    this.run(what, () => input(state, this.context));
    return true;
  }

  /** Drops the state and the timers; false when it was already down. */
  crash(): boolean {
    if (this.crashedFlag) return false;
    this.crashedFlag = true;
    this.state = null;
    this.life += 1;
    this.host.cancelTimers();
    return true;
  }

  describe(): string {
    if (this.crashedFlag) return "crashed";
    return this.state === null ? "not started" : this.definition.describe(this.state);
  }

  /** One event to completion, then the invariants. A throw stops the actor loudly, on every host alike. */
  private run(during: string, handler: () => void): void {
    try {
      handler();
      if (this.options.checkInvariants && this.state !== null) this.definition.invariants(this.state);
    } catch (caught) {
      this.fail(during, caught);
    }
  }

  private fail(during: string, caught: unknown): void {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    const state = this.describeSafely();
    this.crash();
    this.options.log.error({ err: error, during, node: this.address, state }, "actor failed: stopped");
    this.options.onFailure({ address: this.address, during, error, state });
  }

  private describeSafely(): string {
    try {
      return this.describe();
    } catch {
      return "(its description threw too)";
    }
  }

  private send(to: Address, body: MessageBase): void {
    if (this.crashedFlag) return;
    const state = this.state;
    this.host.transmit({
      v: 1,
      id: this.host.messageId(),
      from: this.address,
      to,
      // While init runs there is no state yet: what it sends belongs to view 0.
      viewNum: state === null ? 0 : this.definition.viewNum(state),
      sentAt: this.host.sentAt(),
      body,
    });
  }
}
