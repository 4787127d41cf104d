import { ActorCell, type CellHost } from "../../src/actors/cell.js";
import type { ActorDefinition, Context } from "../../src/actors/context.js";
import { silentLogger } from "../../src/actors/context.js";
import type { ActorEvent } from "../../src/schemas/actorEvents.js";
import type { Address } from "../../src/schemas/address.js";
import type { Envelope, MessageBase, TimerBase } from "../../src/schemas/envelope.js";

/**
 * A body of a protocol the probe's caller did not name: its type, and any
 * other field (tests write bodies as literals and read the fields they sent).
 */
export type LooseBody = MessageBase & { readonly [field: string]: unknown };

/** The bodies of type T among Body (a LooseBody with that type when Body names no such member). */
export type BodyOfType<Body extends MessageBase, T extends string> = [Extract<Body, { type: T }>] extends [
  never,
]
  ? Body & { type: T }
  : Extract<Body, { type: T }>;

export interface Sent<Body extends MessageBase = LooseBody> {
  to: Address;
  viewNum: number;
  body: Body;
}

/**
 * Drives one actor by hand: deliver a message, fire a timer, look at what it
 * sent. For unit tests of a single role (after DSLabs' ViewServerTest, which
 * pings the view server directly and reads its view). The actor runs in an
 * ActorCell like on every other host, with a clock that moves only when a
 * timer fires; a handler that throws (a broken invariant) stops the actor and
 * the throw reaches the test, as in the simulator.
 */
/** A protocol's own bodies as they are; an unnamed protocol's (`type: string`) as LooseBody. */
export type Written<Body extends MessageBase> = string extends Body["type"] ? LooseBody : Body;

export class ActorProbe<
  State,
  DefinedBody extends MessageBase = MessageBase,
  DefinedTimer extends TimerBase = TimerBase,
  Body extends MessageBase = Written<DefinedBody>,
  Timer extends TimerBase = Written<DefinedTimer>,
> {
  sent: Sent<Body>[] = [];
  timers: { timer: Timer; afterMs: number }[] = [];
  events: ActorEvent[] = [];
  private readonly cell: ActorCell<State>;
  private nextDeliveredId = 1;
  private nextSentId = 1;
  private clockMs = 0;

  constructor(
    readonly definition: ActorDefinition<State, DefinedBody, DefinedTimer>,
    readonly self: Address,
    randomValues: number[] = [0.5],
  ) {
    let randomIndex = 0;
    const host: CellHost = {
      now: () => this.clockMs,
      random: () => randomValues[randomIndex++ % randomValues.length]!,
      messageId: () => `sent-${this.nextSentId++}`,
      sentAt: () => this.clockMs,
      // The probe's actor only ever sends its own protocol's bodies.
      transmit: (envelope) =>
        this.sent.push({ to: envelope.to, viewNum: envelope.viewNum, body: envelope.body as Body }),
      schedule: (timer, afterMs) => this.timers.push({ timer: timer as Timer, afterMs }),
      cancelTimers: () => {},
      emit: (event) => this.events.push(event),
    };
    this.cell = new ActorCell(self, definition as unknown as ActorDefinition<State>, host, {
      checkInvariants: true,
      log: silentLogger,
      onFailure: (failure) => {
        throw failure.error;
      },
    });
    this.cell.start();
  }

  /** The actor's state (it is mutated in place by every event). */
  get state(): State {
    const state = this.cell.state;
    if (state === null) throw new Error(`${this.self} is down: ${this.cell.describe()}`);
    return state;
  }

  get ctx(): Context<Body, Timer> {
    return this.cell.context as Context<Body, Timer>;
  }

  deliver(from: Address, body: Body, viewNum = 0): this {
    const message: Envelope = {
      v: 1,
      id: String(this.nextDeliveredId++),
      from,
      to: this.self,
      viewNum,
      sentAt: this.clockMs,
      body,
    };
    this.cell.deliver(message);
    return this;
  }

  /** Moves the probe's clock on (what `ctx.now()` answers). */
  advanceMs(ms: number): this {
    this.clockMs += ms;
    return this;
  }

  fire(timer: Timer): this {
    this.clockMs += 1;
    this.cell.fire(timer, this.cell.life);
    return this;
  }

  /** What was sent since the last call, and forget it. */
  takeSent(): Sent<Body>[] {
    const sent = this.sent;
    this.sent = [];
    return sent;
  }

  sentOfType<T extends Body["type"]>(type: T): (Sent<Body> & { body: BodyOfType<Body, T> })[] {
    return this.sent.filter((s): s is Sent<Body> & { body: BodyOfType<Body, T> } => s.body.type === type);
  }
}

/** A deep, comparable copy of a state with Maps (for "no state change" assertions). */
export function snapshotState(state: unknown): unknown {
  return structuredClone(state);
}
