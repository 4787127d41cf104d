import type { ActorDefinition, Context } from "../../src/actors/context.js";
import { silentLogger } from "../../src/actors/context.js";
import type { ActorEvent } from "../../src/schemas/actorEvents.js";
import type { Address } from "../../src/schemas/address.js";
import type { Envelope } from "../../src/schemas/envelope.js";
import type { MessageBody } from "../../src/protocols/pb/messages.js";
import type { Timer } from "../../src/protocols/pb/timers.js";

export interface Sent {
  to: Address;
  viewNum: number;
  body: MessageBody;
}

/**
 * Drives one actor by hand: deliver a message, fire a timer, look at what it
 * sent. For unit tests of a single role (after DSLabs' ViewServerTest, which
 * pings the view server directly and reads its view).
 */
export class ActorProbe<State> {
  readonly state: State;
  private started = false;
  sent: Sent[] = [];
  timers: { timer: Timer; afterMs: number }[] = [];
  events: ActorEvent[] = [];
  private readonly context: Context;
  private nextId = 1;
  private clockMs = 0;

  constructor(
    readonly definition: ActorDefinition<State>,
    readonly self: Address,
    randomValues: number[] = [0.5],
  ) {
    let randomIndex = 0;
    this.context = {
      self,
      send: (to, body) =>
        this.sent.push({ to, viewNum: this.started ? definition.viewNum(this.state) : 0, body }),
      setTimer: (timer, afterMs) => this.timers.push({ timer, afterMs }),
      now: () => this.clockMs,
      random: () => randomValues[randomIndex++ % randomValues.length]!,
      emit: (event) => this.events.push(event),
      log: silentLogger,
    };
    this.state = definition.init(this.context);
    this.started = true;
    definition.invariants(this.state);
  }

  get ctx(): Context {
    return this.context;
  }

  deliver(from: Address, body: MessageBody, viewNum = 0): this {
    const message: Envelope = {
      v: 1,
      id: String(this.nextId++),
      from,
      to: this.self,
      viewNum,
      sentAt: this.clockMs,
      body,
    };
    this.definition.onMessage(this.state, message, this.context);
    this.definition.invariants(this.state);
    return this;
  }

  /** Moves the probe's clock on (what `ctx.now()` answers). */
  advanceMs(ms: number): this {
    this.clockMs += ms;
    return this;
  }

  fire(timer: Timer): this {
    this.clockMs += 1;
    this.definition.onTimer(this.state, timer, this.context);
    this.definition.invariants(this.state);
    return this;
  }

  /** What was sent since the last call, and forget it. */
  takeSent(): Sent[] {
    const sent = this.sent;
    this.sent = [];
    return sent;
  }

  sentOfType<T extends MessageBody["type"]>(type: T): (Sent & { body: Extract<MessageBody, { type: T }> })[] {
    return this.sent.filter(
      (s): s is Sent & { body: Extract<MessageBody, { type: T }> } => s.body.type === type,
    );
  }
}

/** A deep, comparable copy of a state with Maps (for "no state change" assertions). */
export function snapshotState(state: unknown): unknown {
  return structuredClone(state);
}
