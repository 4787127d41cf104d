import type { ActorDefinition, ClientDefinition } from "../actors/context.js";
import type { AnyProtocol, ClusterInvariant, LiveNode } from "../protocols/protocol.js";
import type { SearchSupport } from "../protocols/searchSupport.js";
import { checkHistory, formatCheckResult } from "../check/index.js";
import { type ActorEvent, historyTypeOf } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import type { Envelope } from "../schemas/envelope.js";
import type { HistoryEvent } from "../schemas/history.js";
import type { Op } from "../schemas/op.js";
import { fmix, Hasher } from "./hash.js";
import {
  describeResult,
  describeWrongResult,
  expectedResults,
  type InvariantName,
  type Violation,
} from "./invariants.js";
import { recordServed, servedTwice } from "../sim/served.js";
import { MessageTable } from "./messages.js";
import { type EngineStats, type NodeInfo, NodeRunner } from "./nodes.js";
import type { EventPolicy, WorldSpec } from "./scenario.js";
import {
  type ActorState,
  crashKind,
  deliverKind,
  eventArgumentOf,
  eventCode,
  eventKindOf,
  hasMessage,
  type HistoryLink,
  invokeKind,
  type NodeSlot,
  restartKind,
  type SearchState,
  timerKind,
  withMessage,
} from "./state.js";

// The model checker's world: the nodes of a scenario and its transition
// function over whole search states, the same actor code as the simulator
// and the broker runtime driven one event at a time. A step lets one node
// handle one event (nodes.ts), adds what it sent to the network, tracks what
// it emitted, and checks the invariants, so every driver (breadth-first
// search, random probes, minimizer, replay) checks the same things.

export interface StepResult {
  state: SearchState;
  violation: Violation | null;
}

export interface WorldOptions {
  /** Re-hash the parent slot after each computed transition: proves clones share nothing mutable (slow; tests). */
  checkSharing?: boolean;
}

/** Memoized verdicts (backup pairs, histories), each dropped wholesale when full. */
const memoMax = 1_000_000;

export class World {
  readonly nodes: NodeInfo[] = [];
  readonly nodeIndex = new Map<Address, number>();
  readonly messages: MessageTable;
  readonly protocol: AnyProtocol;
  readonly clientNodes: number[] = [];
  private readonly support: SearchSupport<unknown>;
  private readonly clientDefinition: ClientDefinition<ActorState>;
  private readonly runner: NodeRunner;
  private readonly invariantsOff: ReadonlySet<InvariantName>;
  /** The protocol's cluster invariants still on, each with the nodes of the roles it reads. */
  private readonly clusterChecks: { id: number; invariant: ClusterInvariant; nodes: number[] }[] = [];
  /** The protocol's step rules still on, by the role whose steps they judge. */
  private readonly stepRules = new Map<string, SearchSupport<unknown>["stepRules"]>();
  private readonly hasher = new Hasher();
  /** Cluster-invariant verdicts by a 53-bit hash of (invariant, the slots it reads), like state keys. */
  private readonly clusterMemo = new Map<number, string | null>();
  private readonly clusterHasher = new Hasher();
  private readonly historyMemo = new Map<number, string | null>();
  /** The state SearchSupport's hooks read nodes of, while one runs. */
  private looking: SearchState | null = null;
  private readonly lookUp = (address: Address): unknown => {
    const node = this.nodeIndex.get(address);
    return node === undefined || this.looking === null ? null : this.looking.slots[node]!.state;
  };

  constructor(
    readonly spec: WorldSpec,
    options: WorldOptions = {},
  ) {
    this.protocol = spec.protocol;
    this.support = spec.protocol.search;
    this.invariantsOff = new Set(spec.invariantsOff ?? []);
    const addresses: [Address, string][] = spec.protocol
      .layout(spec.servers, spec.config)
      .map(({ address, role }) => [address, role]);
    for (const workload of spec.clients) addresses.push([workload.client, "client"]);
    addresses.forEach(([address], index) => this.nodeIndex.set(address, index));
    this.messages = new MessageTable(this.nodeIndex);
    this.clientDefinition = spec.protocol.client(spec.config);
    const definitions = new Map<string, ActorDefinition<ActorState>>([["client", this.clientDefinition]]);
    addresses.forEach(([address, kind], index) => {
      const ops = spec.clients.find((workload) => workload.client === address)?.ops ?? [];
      let definition = definitions.get(kind);
      if (definition === undefined) {
        definition = spec.protocol.actor(kind, spec.config);
        definitions.set(kind, definition);
      }
      this.nodes.push({ index, address, kind, definition, ops, expected: expectedResults(ops) });
      if (kind === "client") this.clientNodes.push(index);
    });
    const rules = this.support.stepRules.filter((rule) => !this.invariantsOff.has(rule.name));
    for (const node of this.nodes)
      this.stepRules.set(
        node.kind,
        rules.filter((rule) => rule.roles?.includes(node.kind) ?? true),
      );
    for (const invariant of spec.protocol.clusterInvariants) {
      if (this.invariantsOff.has(invariant.name)) continue;
      const nodes =
        invariant.roles === undefined
          ? this.nodes.map((node) => node.index)
          : this.nodesWithRole(...invariant.roles);
      this.clusterChecks.push({ id: this.clusterChecks.length, invariant, nodes });
    }
    this.runner = new NodeRunner(
      this.nodes,
      this.messages,
      this.clientDefinition,
      this.support,
      options.checkSharing === true,
    );
  }

  get stats(): EngineStats {
    return this.runner.stats;
  }

  // ------------------------------------------------------------ states

  initialState(): StepResult {
    const slots: NodeSlot[] = [];
    let network: Uint32Array = new Uint32Array(0);
    let networkA = 0;
    let networkB = 0;
    for (const node of this.nodes) {
      const { slot, sent } = this.runner.init(node);
      this.support.checkShape(node.kind, slot.state);
      slots.push(slot);
      for (const id of sent) {
        if (hasMessage(network, id)) continue;
        network = withMessage(network, id);
        networkA = (networkA + this.messages.hashA[id]!) | 0;
        networkB = (networkB + this.messages.hashB[id]!) | 0;
      }
    }
    const base = { slots, network, networkA, networkB, served: [], history: null, historyA: 0, historyB: 0 };
    return { state: { ...base, key: this.stateKey(base), trace: null, depth: 0 }, violation: null };
  }

  /** The events that may happen in `state` under `policy`, as codes, into `out`. */
  enabled(state: SearchState, policy: EventPolicy, out: number[]): void {
    out.length = 0;
    const slots = state.slots;
    const network = state.network;
    const destination = this.messages.destination;
    for (let word = 0; word < network.length; word++) {
      let bits = network[word]!;
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const id = word * 32 + bit;
        const to = destination[id]!;
        if (to >= 0 && slots[to]!.state !== null && !this.isCut(policy, id))
          out.push(eventCode(deliverKind, id));
      }
    }
    for (const slot of slots) {
      if (slot.state === null || slot.timers.length === 0) continue;
      if (policy.fairTimers && !this.timerIsFair(state, slot)) continue;
      out.push(eventCode(timerKind, slot.node));
    }
    if (policy.invokes) {
      for (const node of this.clientNodes) {
        if (policy.invokers !== undefined && !policy.invokers.includes(this.nodes[node]!.address)) continue;
        if (this.canInvoke(slots[node]!.state, node)) out.push(eventCode(invokeKind, node));
      }
    }
    if (policy.crashesMax > 0 || policy.restartsMax > 0) {
      let crashes = 0;
      let down = 0;
      for (const slot of slots) {
        crashes += slot.life;
        if (slot.state === null) down += 1;
      }
      for (const address of policy.crashable) {
        const node = this.nodeIndex.get(address);
        if (node === undefined) continue;
        const slot = slots[node]!;
        if (slot.state !== null && crashes < policy.crashesMax) out.push(eventCode(crashKind, node));
        if (slot.state === null && crashes - down < policy.restartsMax)
          out.push(eventCode(restartKind, node));
      }
    }
  }

  /** Apply one event. Returns the parent itself when nothing changed. */
  step(parent: SearchState, code: number): StepResult {
    const kind = eventKindOf(code);
    const argument = eventArgumentOf(code);
    const node = kind === deliverKind ? this.messages.destination[argument]! : argument;
    const slot = parent.slots[node]!;
    const transition = this.runner.transition(slot, code);
    if (transition.error !== null) {
      // The state after a throw is meaningless; the parent with the event on its trace shows where it broke.
      const state = { ...parent, trace: { parent: parent.trace, event: code }, depth: parent.depth + 1 };
      return { state, violation: { invariant: "actor", message: transition.error } };
    }

    let network = parent.network;
    let networkA = parent.networkA;
    let networkB = parent.networkB;
    if (kind === restartKind && this.spec.restartPurgesMessages === true) {
      ({ network, networkA, networkB } = this.purgeMessagesTo(node, parent));
    }
    const sent = transition.sent;
    for (let i = 0; i < sent.length; i++) {
      const id = sent[i]!;
      if (hasMessage(network, id)) continue;
      network = withMessage(network, id);
      networkA = (networkA + this.messages.hashA[id]!) | 0;
      networkB = (networkB + this.messages.hashB[id]!) | 0;
    }
    if (transition.slot === slot && network === parent.network && transition.events.length === 0) {
      return { state: parent, violation: null };
    }

    const slots = parent.slots.slice();
    slots[node] = transition.slot;
    const draft: DraftState = {
      slots,
      network,
      networkA,
      networkB,
      served: parent.served,
      history: parent.history,
      historyA: parent.historyA,
      historyB: parent.historyB,
    };
    const info = this.nodes[node]!;
    let violation: Violation | null = null;
    if (kind === invokeKind && this.spec.results === "history") {
      const op = this.nodes[node]!.ops[this.support.invoked(slot.state)]!;
      this.recordHistory(draft, historyEventOf("invoke", this.clientNodes.indexOf(node), op));
    }
    const delivered = kind === deliverKind ? this.messages.envelopes[argument] : undefined;
    if (transition.events.length > 0) violation = this.trackEvents(draft, slot, transition.events);
    const state: SearchState = {
      slots: draft.slots,
      network: draft.network,
      networkA: draft.networkA,
      networkB: draft.networkB,
      served: draft.served,
      history: draft.history,
      historyA: draft.historyA,
      historyB: draft.historyB,
      key: this.stateKey(draft),
      trace: { parent: parent.trace, event: code },
      depth: parent.depth + 1,
    };
    const rules = this.stepRules.get(info.kind)!;
    if (violation === null && rules.length > 0)
      violation = checkStepRules(
        rules,
        info,
        slot.state,
        transition.slot.state,
        delivered,
        transition.events,
      );
    if (violation === null && this.clusterChecks.length > 0) violation = this.checkCluster(state, info.kind);
    if (violation !== null && this.invariantsOff.has(violation.invariant)) violation = null;
    return { state, violation };
  }

  /** What the checker tracks from the events a step emitted: who served, results. */
  private trackEvents(draft: DraftState, before: NodeSlot, events: readonly ActorEvent[]): Violation | null {
    const node = before.node;
    const info = this.nodes[node]!;
    let violation: Violation | null = null;
    for (const event of events) {
      if (event.type === "served") {
        const outcome = recordServed(draft.served, event.viewNum, node);
        if ("otherNode" in outcome) {
          violation ??= {
            invariant: "onePrimaryPerView",
            message: servedTwice(event.viewNum, this.nodes[outcome.otherNode]!.address, info.address),
          };
        } else draft.served = outcome.served;
      } else if (event.type === "result" && info.kind === "client") {
        violation ??= this.checkResult(draft, info, event);
      }
    }
    return violation;
  }

  private checkResult(draft: DraftState, info: NodeInfo, result: ResultEvent): Violation | null {
    if (this.spec.results === "expected") {
      const expected = info.expected[result.seq - 1];
      const got = describeResult(
        result.error === undefined ? { ok: true, value: result.value } : { ok: false, error: result.error },
      );
      if (expected === got) return null;
      return {
        invariant: "linearizable",
        message: describeWrongResult(info.address, result.op, got, expected ?? "(no such op)"),
      };
    }
    this.recordHistory(
      draft,
      historyEventOf(historyTypeOf(result), this.clientNodes.indexOf(info.index), result.op, result.value),
    );
    const broken = this.checkLinearizable(draft.history, draft.historyA, draft.historyB);
    return broken === null ? null : { invariant: "linearizable", message: broken };
  }

  private recordHistory(draft: DraftState, event: HistoryEvent): void {
    draft.history = { previous: draft.history, event };
    const h = this.hasher.reset(0x68697374);
    h.pair(draft.historyA, draft.historyB);
    h.str(event.type);
    h.num(event.process);
    h.str(event.f);
    h.str(event.key);
    if (event.value !== undefined) h.str(event.value);
    draft.historyA = fmix(h.a);
    draft.historyB = fmix(h.b);
  }

  /** A hash of what event `code` is (message content, or kind and node), the same in every world. */
  eventHash(code: number): number {
    const kind = eventKindOf(code);
    const argument = eventArgumentOf(code);
    if (kind === deliverKind) return this.messages.hashA[argument]!;
    return fmix(Math.imul(argument + 1, 0x9e3779b1) ^ (kind * 0x85ebca6b));
  }

  /** True when event `code` can happen in `state` under any policy (minimizing and replaying check this). */
  canApply(state: SearchState, code: number): boolean {
    const kind = eventKindOf(code);
    const argument = eventArgumentOf(code);
    if (kind === deliverKind) {
      const to = this.messages.destination[argument];
      return (
        to !== undefined && to >= 0 && hasMessage(state.network, argument) && state.slots[to]!.state !== null
      );
    }
    const slot = state.slots[argument];
    if (slot === undefined) return false;
    switch (kind) {
      case timerKind:
        return slot.state !== null && slot.timers.length > 0;
      case invokeKind:
        return this.nodes[argument]!.kind === "client" && this.canInvoke(slot.state, argument);
      case crashKind:
        return slot.state !== null;
      case restartKind:
        return slot.state === null;
      default:
        return false;
    }
  }

  // ------------------------------------------------------------ looking at states

  /** A node's state in `state` (the protocol's type for its role), or null when it is down or no node. */
  stateOf(state: SearchState, address: Address): ActorState | null {
    const node = this.nodeIndex.get(address);
    return node === undefined ? null : state.slots[node]!.state;
  }

  /** The role of the node at `address`, or null when the world has none. */
  roleOf(address: Address): string | null {
    const node = this.nodeIndex.get(address);
    return node === undefined ? null : this.nodes[node]!.kind;
  }

  /** The indexes of the nodes of these roles, in order. */
  nodesWithRole(...roles: string[]): number[] {
    return this.nodes.filter((node) => roles.includes(node.kind)).map((node) => node.index);
  }

  /** Every client invoked all its operations and has its last answer. */
  allClientsDone(state: SearchState): boolean {
    return this.clientNodes.every((node) => {
      const client = state.slots[node]!.state;
      return (
        client !== null &&
        !this.clientDefinition.isBusy(client) &&
        this.support.invoked(client) === this.nodes[node]!.ops.length
      );
    });
  }

  /** The client at `address` is up and has invoked `count` operations or more, the `count`-th answered. */
  clientCompleted(state: SearchState, address: Address, count: number): boolean {
    const client = this.roleOf(address) === "client" ? this.stateOf(state, address) : null;
    if (client === null) return false;
    const invoked = this.support.invoked(client);
    return invoked > count || (invoked === count && !this.clientDefinition.isBusy(client));
  }

  /** The client at `address` is up and waits for an answer. */
  clientBusy(state: SearchState, address: Address): boolean {
    const client = this.roleOf(address) === "client" ? this.stateOf(state, address) : null;
    return client !== null && this.clientDefinition.isBusy(client);
  }

  /** The client at `address` is up and waits for no answer. */
  clientIdle(state: SearchState, address: Address): boolean {
    const client = this.roleOf(address) === "client" ? this.stateOf(state, address) : null;
    return client !== null && !this.clientDefinition.isBusy(client);
  }

  /** The op client `node` would invoke next. */
  nextOp(state: SearchState, node: number): Op | undefined {
    const client = state.slots[node]!.state;
    return client === null ? undefined : this.nodes[node]!.ops[this.support.invoked(client)];
  }

  /** A client that is up, idle, and has operations left. */
  private canInvoke(client: ActorState | null, node: number): boolean {
    return (
      client !== null &&
      !this.clientDefinition.isBusy(client) &&
      this.support.invoked(client) < this.nodes[node]!.ops.length
    );
  }

  private timerIsFair(state: SearchState, slot: NodeSlot): boolean {
    const node = this.nodes[slot.node]!;
    this.looking = state;
    try {
      return this.support.timerIsFair(node.address, node.kind, slot.state, this.lookUp);
    } finally {
      this.looking = null;
    }
  }

  /** A phase's stand-in address resolved in `state` (SearchSupport.standIn), or `name` itself when it is none. */
  resolveStandIn(state: SearchState, name: Address): Address {
    this.looking = state;
    try {
      return this.support.standIn(name, this.lookUp) ?? name;
    } finally {
      this.looking = null;
    }
  }

  /** One line per node: its kind-specific description and pending timers. */
  describeNodes(state: SearchState): string[] {
    return this.nodes.map((node) => {
      const slot = state.slots[node.index]!;
      if (slot.state === null) return `${node.address}: crashed`;
      const timers = slot.timers.map((timer) => timer.type).join(", ");
      return `${node.address}: ${node.definition.describe(slot.state)}${timers === "" ? "" : ` [timers: ${timers}]`}`;
    });
  }

  // ------------------------------------------------------------ hashing

  private stateKey(state: DraftState): number {
    const h = this.hasher.reset(0x3c6ef372);
    for (const slot of state.slots) h.pair(slot.hashA, slot.hashB);
    h.pair(state.networkA, state.networkB);
    h.num(state.served.length);
    for (const value of state.served) h.num(value);
    h.pair(state.historyA, state.historyB);
    return h.key();
  }

  /** The network without the messages addressed to `node` (sent to its previous life). */
  private purgeMessagesTo(node: number, state: SearchState) {
    const network = state.network.slice();
    let networkA = state.networkA;
    let networkB = state.networkB;
    const destination = this.messages.destination;
    for (let id = 0; id < network.length * 32; id++) {
      if (destination[id] !== node || !hasMessage(network, id)) continue;
      network[id >>> 5] = network[id >>> 5]! & ~(1 << (id & 31));
      networkA = (networkA - this.messages.hashA[id]!) | 0;
      networkB = (networkB - this.messages.hashB[id]!) | 0;
    }
    return { network, networkA, networkB };
  }

  // ------------------------------------------------------------ invariants

  /**
   * The protocol's cluster invariants on the live nodes of the roles each
   * reads, after a step of such a node; memoized on those nodes' slots.
   */
  private checkCluster(state: SearchState, role: string): Violation | null {
    for (const checked of this.clusterChecks) {
      if (checked.invariant.roles?.includes(role) === false) continue;
      const h = this.clusterHasher.reset(0x5bd1e995);
      h.num(checked.id);
      for (const node of checked.nodes) h.pair(state.slots[node]!.hashA, state.slots[node]!.hashB);
      const key = h.key();
      let broken = this.clusterMemo.get(key);
      if (broken === undefined) {
        const live = new Map<Address, LiveNode>();
        for (const node of checked.nodes) {
          const slotState = state.slots[node]!.state;
          if (slotState !== null)
            live.set(this.nodes[node]!.address, { role: this.nodes[node]!.kind, state: slotState });
        }
        broken = checked.invariant.check(live);
        if (this.clusterMemo.size >= memoMax) this.clusterMemo.clear();
        this.clusterMemo.set(key, broken);
      }
      if (broken !== null) return { invariant: checked.invariant.name, message: broken };
    }
    return null;
  }

  private checkLinearizable(history: HistoryLink | null, historyA: number, historyB: number): string | null {
    const key = (historyA >>> 0) * 0x200000 + (historyB & 0x1fffff);
    const known = this.historyMemo.get(key);
    if (known !== undefined) return known;
    const events: HistoryEvent[] = [];
    for (let link = history; link !== null; link = link.previous) events.push(link.event);
    events.reverse();
    const verdict = checkHistory(events, { budgetMs: 10_000 });
    const broken = verdict.result === "violation" ? `history ${formatCheckResult(verdict)}` : null;
    if (this.historyMemo.size >= memoMax) this.historyMemo.clear();
    this.historyMemo.set(key, broken);
    return broken;
  }

  /** Message `id` travels a link the phase cut. */
  private isCut(policy: EventPolicy, id: number): boolean {
    if (policy.cut === undefined) return false;
    const { from, to } = this.messages.envelopes[id]!;
    return policy.cut.some(([a, b]) => (from === a && to === b) || (from === b && to === a));
  }
}

/** A state being built by a step: everything but its key and trace. */
type DraftState = { -readonly [K in Exclude<keyof SearchState, "key" | "trace" | "depth">]: SearchState[K] };

type ResultEvent = Extract<ActorEvent, { type: "result" }>;

function historyEventOf(
  type: "invoke" | "ok" | "fail" | "info",
  process: number,
  op: Op,
  read?: string,
): HistoryEvent {
  const event: HistoryEvent = { type, process, f: op.f, key: op.key };
  const value = op.f === "get" ? (type === "ok" ? read : undefined) : op.value;
  if (value !== undefined) event.value = value;
  return event;
}

/** The protocol's rules about single steps (pb: viewRules, pairedAcks) that judge this node's role. */
function checkStepRules(
  rules: SearchSupport<unknown>["stepRules"],
  info: NodeInfo,
  before: ActorState | null,
  after: ActorState | null,
  delivered: Envelope | undefined,
  events: readonly ActorEvent[],
): Violation | null {
  const step = { address: info.address, role: info.kind, before, after, delivered, events };
  for (const rule of rules) {
    const broken = rule.check(step);
    if (broken !== null) return { invariant: rule.name, message: broken };
  }
  return null;
}
