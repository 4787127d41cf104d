import type { ActorEvent } from "../schemas/actorEvents.js";
import type { NodeStatus } from "../schemas/clusterEvents.js";
import type { Address } from "../schemas/address.js";
import type { Envelope, MessageBase, TimerBase } from "../schemas/envelope.js";
import type { Op } from "../schemas/op.js";

/** The subset of pino's logger that actors use; drivers pass pino or a silent stub. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Everything an actor may do to the world. Drivers (simulator, model checker,
 * broker runtime) implement it; handlers never reach past it.
 */
export interface Context<Body extends MessageBase = MessageBase, Timer extends TimerBase = TimerBase> {
  readonly self: Address;
  /** The runtime stamps from, to, viewNum, id and sentAt. */
  send(to: Address, body: Body): void;
  /** Fire `timer` once after `afterMs`; a timer re-arms itself in its handler. */
  setTimer(timer: Timer, afterMs: number): void;
  /**
   * Milliseconds, virtual or real, the same clock in every process of a
   * cluster. Only the primary's reading, stamped into its log, decides
   * anything replicated (session expiry); replicas never consult their own.
   */
  now(): number;
  /** Uniform in [0, 1); seeded in simulation. */
  random(): number;
  /** Tell the driver something happened (view change, result, …). */
  emit(event: ActorEvent): void;
  readonly log: Logger;
}

/** An incoming message as actors see it: already validated by the driver against the protocol's schema. */
export type Message<Body extends MessageBase = MessageBase> = Envelope<Body>;

/**
 * One kind of actor. State is plain data (objects, arrays, Maps of plain data)
 * that handlers mutate in place; drivers clone it when they need to branch.
 */
export interface ActorDefinition<
  State,
  Body extends MessageBase = MessageBase,
  Timer extends TimerBase = TimerBase,
> {
  /** The role this actor plays (a name from its protocol's `roles`, or "client"). */
  readonly kind: string;
  init(ctx: Context<Body, Timer>): State;
  onMessage(state: State, message: Message<Body>, ctx: Context<Body, Timer>): void;
  onTimer(state: State, timer: Timer, ctx: Context<Body, Timer>): void;
  /** The view number the runtime stamps on everything this actor sends. */
  viewNum(state: State): number;
  /** Throws InvariantError when the state is impossible; drivers call it after each event. */
  invariants(state: State): void;
  /** One deterministic line describing the state, for logs and traces. */
  describe(state: State): string;
  /** Servers: the state in figures, for `npm run kv -- status`. */
  status?(state: State): NodeStatus;
}

/** Clients also take operations from their driver (a user, a workload). */
export interface ClientDefinition<
  State,
  Body extends MessageBase = MessageBase,
  Timer extends TimerBase = TimerBase,
> extends ActorDefinition<State, Body, Timer> {
  readonly kind: "client";
  invoke(state: State, op: Op, ctx: Context<Body, Timer>): void;
  isBusy(state: State): boolean;
}
