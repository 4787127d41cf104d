import { InvariantError } from "../actors/assert.js";
import { ActorCell, type CellFailure, type CellHost } from "../actors/cell.js";
import { type ActorDefinition, type ClientDefinition, silentLogger } from "../actors/context.js";
import type { SearchSupport } from "../protocols/searchSupport.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import type { Envelope, TimerBase } from "../schemas/envelope.js";
import type { Op } from "../schemas/op.js";
import { fmix, Hasher } from "./hash.js";
import type { MessageTable } from "./messages.js";
import {
  type ActorState,
  crashKind,
  deliverKind,
  eventArgumentOf,
  eventKindOf,
  invokeKind,
  type NodeKind,
  type NodeSlot,
  restartKind,
  timerKind,
  type Transition,
} from "./state.js";

// Running one node's handler for the model checker: on a clone of that
// node's state only, in the node's ActorCell (the one place that stamps what
// an actor sends, checks its invariants and answers a throw), over a host
// that records what it sends, the timers it sets and the events it emits.
// Results are cached on the slot they start from (slots are immutable and
// interned), because the same node state meets the same message in many
// global states: most steps of a search are a cache lookup.

export interface NodeInfo {
  readonly index: number;
  readonly address: Address;
  readonly kind: NodeKind;
  readonly definition: ActorDefinition<ActorState>;
  /** Clients: their operations, in order, and what each must return (results: expected). */
  readonly ops: readonly Op[];
  readonly expected: readonly string[];
}

export interface EngineStats {
  transitionsComputed: number;
  transitionsCached: number;
}

/** Incarnations differ per (node, life): the view server must tell a restarted server from the old one. */
export function incarnationOf(node: number, life: number): number {
  return node * 1000 + life + 1;
}

const twoTo32 = 4294967296;
/**
 * Interned slots kept for sharing (each with its cache of transitions);
 * beyond this the table starts over, and slots no state holds any more are
 * collected with their caches. Bounds memory on long probe runs.
 */
const slotTableMax = 500_000;

/** What the handler running now did; reset before each handler. */
class Recorder implements CellHost {
  life = 0;
  sent: number[] = [];
  timersSet: TimerBase[] = [];
  emitted: ActorEvent[] = [];
  failure: CellFailure | null = null;

  constructor(
    private readonly node: NodeInfo,
    private readonly messages: MessageTable,
  ) {}

  begin(life: number): void {
    this.life = life;
    this.sent.length = 0;
    this.timersSet.length = 0;
    this.emitted.length = 0;
    this.failure = null;
  }

  now(): number {
    return 0;
  }
  random(): number {
    return incarnationOf(this.node.index, this.life) / twoTo32;
  }
  // A message is its content: the table drops id and send time (messages.ts).
  messageId(): string {
    return "0";
  }
  sentAt(): number {
    return 0;
  }
  transmit(envelope: Envelope): void {
    this.sent.push(this.messages.intern(envelope));
  }
  schedule(timer: TimerBase): void {
    this.timersSet.push(timer);
  }
  // The slot holds the timers: a crash or restart empties them there.
  cancelTimers(): void {}
  emit(event: ActorEvent): void {
    this.emitted.push(event);
  }
}

export class NodeRunner {
  readonly stats: EngineStats = { transitionsComputed: 0, transitionsCached: 0 };
  private readonly recorders: Recorder[];
  private readonly cells: ActorCell[];
  private readonly slotTable = new Map<number, NodeSlot>();
  private readonly hasher = new Hasher();

  constructor(
    private readonly nodes: readonly NodeInfo[],
    private readonly messages: MessageTable,
    private readonly clientDefinition: ClientDefinition<ActorState>,
    private readonly support: SearchSupport<unknown>,
    /** Re-hash the parent slot after each computed transition: proves clones share nothing mutable (slow; tests). */
    private readonly checkSharing: boolean,
  ) {
    this.recorders = nodes.map((node) => new Recorder(node, messages));
    this.cells = nodes.map(
      (node) =>
        new ActorCell(node.address, node.definition, this.recorders[node.index]!, {
          checkInvariants: true,
          log: silentLogger,
          onFailure: (failure) => (this.recorders[node.index]!.failure = failure),
        }),
    );
  }

  /** Start `node` from its initial state: its slot and the ids of the messages its init sent. */
  init(node: NodeInfo): { slot: NodeSlot; sent: number[] } {
    const recorder = this.recorders[node.index]!;
    recorder.begin(0);
    const cell = this.cells[node.index]!;
    cell.life = 0;
    cell.start();
    if (recorder.failure !== null) throw recorder.failure.error;
    return {
      slot: this.internSlot(node.index, cell.state, recorder.timersSet.slice(), 0),
      sent: recorder.sent.slice(),
    };
  }

  /** The transition of `slot` on event `code`, from the slot's cache or computed and cached. */
  transition(slot: NodeSlot, code: number): Transition {
    const cached = slot.transitions?.get(code);
    if (cached !== undefined) {
      this.stats.transitionsCached += 1;
      return cached;
    }
    const transition = this.computeTransition(slot, code);
    this.stats.transitionsComputed += 1;
    if (this.checkSharing) {
      const rehashed = this.slotHash(slot.node, slot.state, slot.timers, slot.life);
      if (rehashed.key !== slot.key)
        throw new Error(
          `engine: a step of ${this.nodes[slot.node]!.address} changed its parent state (a clone shares something mutable)`,
        );
    }
    (slot.transitions ??= new Map()).set(code, transition);
    return transition;
  }

  private computeTransition(slot: NodeSlot, code: number): Transition {
    const kind = eventKindOf(code);
    const node = this.nodes[slot.node]!;
    const recorder = this.recorders[node.index]!;
    const cell = this.cells[node.index]!;
    let timers = slot.timers;
    let life = slot.life;
    let state: ActorState | null = null;
    recorder.begin(life);
    if (kind === crashKind) {
      timers = [];
      life += 1;
    } else if (kind === restartKind) {
      timers = [];
      cell.life = life;
      cell.start();
    } else {
      cell.resume(this.support.clone(node.kind, slot.state), life);
      if (kind === deliverKind) cell.deliver(this.messages.envelope(eventArgumentOf(code)));
      else if (kind === timerKind) {
        const [timer, ...rest] = timers;
        timers = rest;
        cell.fire(timer!, life);
      } else if (kind === invokeKind) this.invoke(node, cell);
      else throw new Error(`unknown event code ${code}`);
    }
    if (kind !== crashKind) state = cell.state;
    const failure = recorder.failure;
    const error = failure === null ? null : describeFailure(failure);
    if (recorder.timersSet.length > 0) timers = [...timers, ...recorder.timersSet];
    return {
      slot: error === null ? this.internSlot(node.index, state, timers, life) : slot,
      sent: recorder.sent.slice(),
      events: recorder.emitted.slice(),
      error,
    };
  }

  /** A client takes its next scripted operation. */
  private invoke(node: NodeInfo, cell: ActorCell): void {
    const definition = this.clientDefinition;
    cell.act("invoke", (client, ctx) => {
      const next = this.support.invoked(client);
      const op = node.ops[next];
      if (op === undefined) throw new Error(`${node.address} has no operation ${next + 1}`);
      definition.invoke(client, op, ctx);
    });
  }

  /** The slot's hash lanes and key; the node index is part of it, so equal states of two nodes differ. */
  slotHash(node: number, state: ActorState | null, timers: readonly TimerBase[], life: number) {
    const h = this.hasher.reset(0x9747b28c);
    h.num(node);
    h.num(life);
    if (state === null) h.word(0x646f776e);
    else this.support.hash(h, this.nodes[node]!.kind, state);
    h.num(timers.length);
    for (const timer of timers) this.support.hashTimer(h, timer);
    return { a: fmix(h.a), b: fmix(h.b), key: h.key() };
  }

  /** The one slot object for this content (equal slots are shared, with their transition caches). */
  internSlot(node: number, state: ActorState | null, timers: readonly TimerBase[], life: number): NodeSlot {
    const hash = this.slotHash(node, state, timers, life);
    const known = this.slotTable.get(hash.key);
    if (known !== undefined) return known;
    if (this.slotTable.size >= slotTableMax) this.slotTable.clear();
    const slot: NodeSlot = {
      node,
      state,
      timers,
      life,
      hashA: hash.a,
      hashB: hash.b,
      key: hash.key,
      transitions: null,
    };
    this.slotTable.set(hash.key, slot);
    return slot;
  }
}

/** A failed step as counterexamples show it: the node, then the broken assertion or what it threw. */
function describeFailure(failure: CellFailure): string {
  const { address, error } = failure;
  return error instanceof InvariantError
    ? `${address}: ${error.message}`
    : `${address} threw: ${String(error)}`;
}
