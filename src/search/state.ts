import type { ActorEvent } from "../schemas/actorEvents.js";
import type { TimerBase } from "../schemas/envelope.js";
import type { HistoryEvent } from "../schemas/history.js";

// What the model checker explores (DSLabs' SearchState): every node's actor
// state and timer queue, the set of messages ever sent, and what the checker
// tracks on the side (who served in which view, the clients' history).
//
// The network is a set, not a queue: delivering a message leaves it there, so
// every message may be delivered any number of times (duplication), never
// (loss), or after later ones (reordering). A state is immutable once built;
// a step copies the slot array and replaces the one node that moved, so
// states share everything else (copy-on-write per node).

/** A node's state: the protocol's type for its role; the search copies and hashes it through SearchSupport. */
export type ActorState = unknown;
/** A node's role: one of the protocol's roles, or "client". */
export type NodeKind = string;

/** The result of running one node's handler on one input; cached on the slot it starts from. */
export interface Transition {
  readonly slot: NodeSlot;
  /** Ids of the messages sent, in the order sent. */
  readonly sent: readonly number[];
  readonly events: readonly ActorEvent[];
  /** The handler or the actor's invariants threw: the message, else null. */
  readonly error: string | null;
}

/** One node's part of a search state. Interned: equal slots are one object, shared by every state holding them. */
export interface NodeSlot {
  readonly node: number;
  /** null while crashed. */
  readonly state: ActorState | null;
  /** Pending timers in the order they were set; only the first may fire. */
  readonly timers: readonly TimerBase[];
  /** Crashes so far: a restart's incarnation is drawn from (node, life). */
  readonly life: number;
  readonly hashA: number;
  readonly hashB: number;
  readonly key: number;
  /** Transitions out of this slot by event code, filled lazily (slots never change, so results never go stale). */
  transitions: Map<number, Transition> | null;
}

/** The events from the initial state to a state, newest first (a shared linked list). */
export interface TraceLink {
  readonly parent: TraceLink | null;
  readonly event: number;
}

/** A client's history so far, newest first (shared between states like the trace). */
export interface HistoryLink {
  readonly previous: HistoryLink | null;
  readonly event: HistoryEvent;
}

export interface SearchState {
  readonly slots: readonly NodeSlot[];
  /** Bit i set: message i (an id of the world's MessageTable) was sent. */
  readonly network: Uint32Array;
  /** Lane-wise sums of the hashes of the messages sent (order-independent). */
  readonly networkA: number;
  readonly networkB: number;
  /** Which server answered clients as primary in which view: [viewNum, node, viewNum, node, …] by viewNum. */
  readonly served: readonly number[];
  readonly history: HistoryLink | null;
  readonly historyA: number;
  readonly historyB: number;
  /** The 53-bit canonical hash: equal states have equal keys. */
  readonly key: number;
  readonly trace: TraceLink | null;
  readonly depth: number;
}

// ---------------------------------------------------------------- event codes

// Events are small integers (kind + 8 × argument) so that enumerating and
// caching them allocates nothing: a message id for deliveries, a node index
// for the others.
export const eventKinds = ["deliver", "timer", "invoke", "crash", "restart"] as const;
export type EventKind = (typeof eventKinds)[number];
export const deliverKind = 0;
export const timerKind = 1;
export const invokeKind = 2;
export const crashKind = 3;
export const restartKind = 4;

export function eventCode(kind: number, argument: number): number {
  return argument * 8 + kind;
}

export function eventKindOf(code: number): number {
  return code % 8;
}

export function eventArgumentOf(code: number): number {
  return Math.floor(code / 8);
}

// ---------------------------------------------------------------- network bitsets

export function hasMessage(network: Uint32Array, id: number): boolean {
  const word = id >>> 5;
  return word < network.length && (network[word]! & (1 << (id & 31))) !== 0;
}

/** A copy of `network` with `id` added (the caller checked it is absent). */
export function withMessage(network: Uint32Array, id: number): Uint32Array {
  const word = id >>> 5;
  const next = new Uint32Array(Math.max(network.length, word + 1));
  next.set(network);
  next[word] = next[word]! | (1 << (id & 31));
  return next;
}

/** The trace's event codes, oldest first. */
export function traceEvents(trace: TraceLink | null): number[] {
  const events: number[] = [];
  for (let link = trace; link !== null; link = link.parent) events.push(link.event);
  return events.reverse();
}

export function historyEvents(history: HistoryLink | null): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (let link = history; link !== null; link = link.previous) events.push(link.event);
  return events.reverse();
}
