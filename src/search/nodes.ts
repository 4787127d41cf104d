import { InvariantError } from "../actors/assert.js";
import type { ClientState } from "../protocols/pb/client.js";
import {
  type ActorDefinition,
  type ClientDefinition,
  type Context,
  silentLogger,
} from "../actors/context.js";
import type { ServerState } from "../protocols/pb/server.js";
import type { ViewServerState } from "../protocols/pb/viewServer.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import type { MessageBody } from "../protocols/pb/messages.js";
import type { Op } from "../schemas/op.js";
import type { Timer } from "../protocols/pb/timers.js";
import { cloneClientState, cloneServerState, cloneViewServerState } from "../protocols/pb/search/clone.js";
import { fmix, Hasher, hashClientState, hashServerState, hashTimer, hashViewServerState } from "./hash.js";
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
// node's state only, with a context that records what it sends, the timers
// it sets and the events it emits. Results are cached on the slot they start
// from (slots are immutable and interned), because the same node state meets
// the same message in many global states: most steps of a search are a cache
// lookup.

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

export class NodeRunner {
  readonly stats: EngineStats = { transitionsComputed: 0, transitionsCached: 0 };
  private readonly contexts: Context[];
  private readonly slotTable = new Map<number, NodeSlot>();
  private readonly hasher = new Hasher();
  // What the handler running now did; reset before each handler.
  private stepping: ActorState | null = null;
  private steppingLife = 0;
  private sent: number[] = [];
  private timersSet: Timer[] = [];
  private emitted: ActorEvent[] = [];

  constructor(
    private readonly nodes: readonly NodeInfo[],
    private readonly messages: MessageTable,
    private readonly clientDefinition: ClientDefinition<ClientState>,
    /** Re-hash the parent slot after each computed transition: proves clones share nothing mutable (slow; tests). */
    private readonly checkSharing: boolean,
  ) {
    this.contexts = nodes.map((node) => this.makeContext(node));
  }

  /** Start `node` from its initial state: its slot and the ids of the messages its init sent. */
  init(node: NodeInfo): { slot: NodeSlot; sent: number[] } {
    this.beginHandler(null, 0);
    const state = node.definition.init(this.contexts[node.index]!);
    return { slot: this.internSlot(node.index, state, this.timersSet.slice(), 0), sent: this.sent.slice() };
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
    let timers = slot.timers;
    let life = slot.life;
    let state: ActorState | null = null;
    let error: string | null = null;
    try {
      switch (kind) {
        case deliverKind:
          state = this.beginHandler(this.clone(node.kind, slot.state!), life);
          node.definition.onMessage(
            state,
            this.messages.envelope(eventArgumentOf(code)),
            this.contexts[node.index]!,
          );
          break;
        case timerKind: {
          const [timer, ...rest] = timers;
          timers = rest;
          state = this.beginHandler(this.clone(node.kind, slot.state!), life);
          node.definition.onTimer(state, timer!, this.contexts[node.index]!);
          break;
        }
        case invokeKind: {
          const client = this.beginHandler(this.clone(node.kind, slot.state!), life) as ClientState;
          state = client;
          const op = node.ops[client.seq];
          if (op === undefined) throw new Error(`${node.address} has no operation ${client.seq + 1}`);
          this.clientDefinition.invoke(client, op, this.contexts[node.index]!);
          break;
        }
        case crashKind:
          this.beginHandler(null, life);
          timers = [];
          life += 1;
          break;
        case restartKind:
          this.beginHandler(null, life);
          timers = [];
          state = node.definition.init(this.contexts[node.index]!);
          this.stepping = state;
          break;
        default:
          throw new Error(`unknown event code ${code}`);
      }
      if (state !== null) node.definition.invariants(state);
    } catch (caught) {
      error =
        caught instanceof InvariantError
          ? `${node.address}: ${caught.message}`
          : `${node.address} threw: ${String(caught)}`;
    }
    if (this.timersSet.length > 0) timers = [...timers, ...this.timersSet];
    return {
      slot: error === null ? this.internSlot(node.index, state, timers, life) : slot,
      sent: this.sent.slice(),
      events: this.emitted.slice(),
      error,
    };
  }

  private beginHandler<S extends ActorState | null>(state: S, life: number): S {
    this.stepping = state;
    this.steppingLife = life;
    this.sent.length = 0;
    this.timersSet.length = 0;
    this.emitted.length = 0;
    return state;
  }

  private clone(kind: NodeKind, state: ActorState): ActorState {
    switch (kind) {
      case "server":
        return cloneServerState(state as ServerState);
      case "viewserver":
        return cloneViewServerState(state as ViewServerState);
      case "client":
        return cloneClientState(state as ClientState);
    }
  }

  private makeContext(node: NodeInfo): Context {
    const { index, address, definition } = node;
    return {
      self: address,
      send: (to: Address, body: MessageBody) => {
        const viewNum = this.stepping === null ? 0 : definition.viewNum(this.stepping);
        this.sent.push(this.messages.intern({ from: address, to, viewNum, body }));
      },
      setTimer: (timer: Timer) => {
        this.timersSet.push(timer);
      },
      now: () => 0,
      random: () => incarnationOf(index, this.steppingLife) / twoTo32,
      emit: (event: ActorEvent) => {
        this.emitted.push(event);
      },
      log: silentLogger,
    };
  }

  /** The slot's hash lanes and key; the node index is part of it, so equal states of two nodes differ. */
  slotHash(node: number, state: ActorState | null, timers: readonly Timer[], life: number) {
    const h = this.hasher.reset(0x9747b28c);
    h.num(node);
    h.num(life);
    if (state === null) h.word(0x646f776e);
    else {
      const kind = this.nodes[node]!.kind;
      if (kind === "server") hashServerState(h, state as ServerState);
      else if (kind === "viewserver") hashViewServerState(h, state as ViewServerState);
      else hashClientState(h, state as ClientState);
    }
    h.num(timers.length);
    for (const timer of timers) hashTimer(h, timer);
    return { a: fmix(h.a), b: fmix(h.b), key: h.key() };
  }

  /** The one slot object for this content (equal slots are shared, with their transition caches). */
  internSlot(node: number, state: ActorState | null, timers: readonly Timer[], life: number): NodeSlot {
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
