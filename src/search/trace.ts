import { z } from "zod";
import type { AnyProtocol } from "../protocols/protocol.js";
import { Address } from "../schemas/address.js";
import { AnyBody, type MessageBase, type TimerBase } from "../schemas/envelope.js";
import { describeOp, Op } from "../schemas/op.js";
import type { World } from "./engine.js";
import { invariantNamesOf, type Violation } from "./invariants.js";
import {
  crashKind,
  deliverKind,
  eventArgumentOf,
  eventCode,
  eventKindOf,
  hasMessage,
  invokeKind,
  restartKind,
  type SearchState,
  timerKind,
} from "./state.js";

// Counterexamples as people and programs read them: one line per event
// (messages through describeMessage, like simulator traces), and a JSON form
// (validated by zod on load) that `npm run search -- --replay FILE` and
// src/sim/replay.ts run again against fresh actors.

/** The events of a trace, with the protocol's message bodies and timers. */
function traceEventSchema(body: z.ZodType<MessageBase>, timer: z.ZodType<TimerBase>) {
  return z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("deliver"),
      message: z.object({ from: Address, to: Address, viewNum: z.int().min(0), body }),
    }),
    z.object({ kind: z.literal("timer"), node: Address, timer }),
    z.object({ kind: z.literal("invoke"), client: Address, op: Op }),
    z.object({ kind: z.literal("crash"), node: Address }),
    z.object({ kind: z.literal("restart"), node: Address }),
  ]);
}

/** An event of a trace, whatever the protocol (SavedTraceOf checks bodies and timers against one). */
export const TraceEvent = traceEventSchema(AnyBody, AnyBody);
export type TraceEvent = z.infer<typeof TraceEvent>;

export const traceFormat = "pbkv-search-trace";

/** A saved counterexample of `protocol`: its mutants, invariants, messages and timers only. */
export function savedTraceOf(protocol: AnyProtocol) {
  const [mutant, ...mutants] = protocol.config.mutations;
  const [invariant, ...invariants] = invariantNamesOf(protocol);
  return z.object({
    format: z.literal(traceFormat),
    version: z.literal(1),
    scenario: z.string().min(1),
    mutations: z.array(mutant === undefined ? z.never() : z.enum([mutant, ...mutants])),
    /** For a liveness violation: the recover phase whose goal the end state cannot reach. */
    phase: z.string().min(1),
    violation: z.object({ invariant: z.enum([invariant!, ...invariants]), message: z.string() }),
    events: z.array(traceEventSchema(protocol.messages, protocol.timers)),
  });
}

export interface SavedTrace {
  format: typeof traceFormat;
  version: 1;
  scenario: string;
  mutations: string[];
  phase: string;
  violation: Violation;
  events: TraceEvent[];
}

export class TraceReplayError extends Error {
  override name = "TraceReplayError";
}

/** The structural form of event `code` taken in `state` (which timer fired, which op was invoked). */
export function toTraceEvent(world: World, state: SearchState, code: number): TraceEvent {
  const kind = eventKindOf(code);
  const argument = eventArgumentOf(code);
  switch (kind) {
    case deliverKind: {
      const { from, to, viewNum, body } = world.messages.envelope(argument);
      return { kind: "deliver", message: { from, to, viewNum, body } };
    }
    case timerKind: {
      const timer = state.slots[argument]!.timers[0];
      if (timer === undefined)
        throw new TraceReplayError(`no timer pending at ${world.nodes[argument]!.address}`);
      return { kind: "timer", node: world.nodes[argument]!.address, timer };
    }
    case invokeKind: {
      const op = world.nextOp(state, argument);
      if (op === undefined)
        throw new TraceReplayError(`${world.nodes[argument]!.address} has no operation left`);
      return { kind: "invoke", client: world.nodes[argument]!.address, op };
    }
    case crashKind:
      return { kind: "crash", node: world.nodes[argument]!.address };
    case restartKind:
      return { kind: "restart", node: world.nodes[argument]!.address };
    default:
      throw new TraceReplayError(`unknown event code ${code}`);
  }
}

/**
 * The code of `event` in `state`, or a TraceReplayError saying why it cannot
 * happen there (a message never sent, a timer not first in its node's queue,
 * a busy client, a node already up or down).
 */
export function toEventCode(world: World, state: SearchState, event: TraceEvent): number {
  const nodeOf = (address: Address): number => {
    const node = world.nodeIndex.get(address);
    if (node === undefined) throw new TraceReplayError(`no node ${address} in this scenario`);
    return node;
  };
  switch (event.kind) {
    case "deliver": {
      const id = world.messages.find(event.message);
      if (id === undefined || !hasMessage(state.network, id))
        throw new TraceReplayError(`${world.protocol.describeMessage(event.message)} was never sent`);
      if (state.slots[nodeOf(event.message.to)]!.state === null)
        throw new TraceReplayError(`${event.message.to} is down`);
      return eventCode(deliverKind, id);
    }
    case "timer": {
      const node = nodeOf(event.node);
      const slot = state.slots[node]!;
      const first = slot.timers[0];
      if (slot.state === null || first === undefined || JSON.stringify(first) !== JSON.stringify(event.timer))
        throw new TraceReplayError(`${event.node}'s next timer is not ${JSON.stringify(event.timer)}`);
      return eventCode(timerKind, node);
    }
    case "invoke": {
      const node = nodeOf(event.client);
      const op = world.nextOp(state, node);
      if (!world.clientIdle(state, event.client) || op === undefined)
        throw new TraceReplayError(`${event.client} cannot invoke now`);
      if (JSON.stringify(op) !== JSON.stringify(event.op))
        throw new TraceReplayError(
          `${event.client}'s next operation is ${describeOp(op)}, not ${describeOp(event.op)}`,
        );
      return eventCode(invokeKind, node);
    }
    case "crash": {
      const node = nodeOf(event.node);
      if (state.slots[node]!.state === null) throw new TraceReplayError(`${event.node} is already down`);
      return eventCode(crashKind, node);
    }
    case "restart": {
      const node = nodeOf(event.node);
      if (state.slots[node]!.state !== null) throw new TraceReplayError(`${event.node} is up`);
      return eventCode(restartKind, node);
    }
  }
}

export function describeEvent(world: World, event: TraceEvent): string {
  switch (event.kind) {
    case "deliver":
      return `deliver ${world.protocol.describeMessage(event.message)}`;
    case "timer":
      return `timer   ${event.node} ${describeTimer(event.timer)}`;
    case "invoke":
      return `invoke  ${event.client} ${describeOp(event.op)}`;
    case "crash":
      return `crash   ${event.node}`;
    case "restart":
      return `restart ${event.node}`;
  }
}

/** A timer's type, and its sequence number when it has one (pb's ClientRetryTimer #3). */
function describeTimer(timer: TimerBase): string {
  const seq = (timer as { seq?: unknown }).seq;
  return typeof seq === "number" ? `${timer.type} #${seq}` : timer.type;
}

export interface ReplayedTrace {
  /** One line per event, each followed by the state of the node it moved. */
  lines: string[];
  violation: Violation | null;
  /** Events applied (a violation stops the replay at its event). */
  applied: number;
  /** Why the next event could not happen (a message never sent, …), else null. */
  diverged: string | null;
  state: SearchState;
}

/** Run `events` from the world's initial state, describing each step; stops at the first violation. */
export function replayEvents(world: World, events: readonly TraceEvent[]): ReplayedTrace {
  let state = world.initialState().state;
  const lines: string[] = [];
  const width = String(events.length).length;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    let code: number;
    try {
      code = toEventCode(world, state, event);
    } catch (error) {
      if (!(error instanceof TraceReplayError)) throw error;
      const diverged = `event ${i + 1} (${describeEvent(world, event)}) cannot happen: ${error.message}`;
      lines.push(
        `${String(i + 1).padStart(width)}. ${describeEvent(world, event)}`,
        `${" ".repeat(width + 2)}CANNOT HAPPEN: ${error.message}`,
      );
      return { lines, violation: null, applied: i, diverged, state };
    }
    const step = world.step(state, code);
    lines.push(`${String(i + 1).padStart(width)}. ${describeEvent(world, event)}`);
    const node =
      eventKindOf(code) === deliverKind
        ? world.messages.destination[eventArgumentOf(code)]!
        : eventArgumentOf(code);
    if (step.violation !== null) {
      lines.push(
        `${" ".repeat(width + 2)}VIOLATION (${step.violation.invariant}): ${step.violation.message}`,
      );
      return { lines, violation: step.violation, applied: i + 1, diverged: null, state: step.state };
    }
    if (step.state !== state) {
      const described = world.describeNodes(step.state)[node];
      lines.push(`${" ".repeat(width + 2)}-> ${described}`);
    }
    state = step.state;
  }
  return { lines, violation: null, applied: events.length, diverged: null, state };
}

/** The trace of `state` (from the world's initial state) as structural events. */
export function traceOf(world: World, codes: readonly number[]): TraceEvent[] {
  let state = world.initialState().state;
  const events: TraceEvent[] = [];
  for (const code of codes) {
    events.push(toTraceEvent(world, state, code));
    state = world.step(state, code).state;
  }
  return events;
}
