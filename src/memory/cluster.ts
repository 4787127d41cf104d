// `--transport memory`: the protocol's layout (for pb the view server and N
// servers) as actors of this one process on the in-memory network, in real
// time. Control commands (the broker's, same schema) are applied here instead
// of by every host: crash and restart by the named node's host, the network
// part by the network. Events come out as the ClusterEvents a broker cluster
// publishes on `<c>.events`. Every state is in this process, so in debug mode
// the protocol's cluster-wide invariants are checked after every event.
import type { CellFailure } from "../actors/cell.js";
import { type Logger, silentLogger } from "../actors/context.js";
import type { AnyProtocol, LiveNode, ProtocolConfigBase, RoleSpec } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import type { ClusterEvent, ClusterEventBody, NodeStatus } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import type { Op } from "../schemas/op.js";
import type { View } from "../schemas/view.js";
import { MemoryClients, type OpOutcome, type ViewOutcome } from "./clients.js";
import { MemoryHost } from "./host.js";
import { MemoryNetwork } from "./network.js";
import { serverCount } from "../protocols/configOptions.js";

/** The name network-wide fault events are reported under (no single node applies them). */
export const networkNode = "network";
/** The name a broken cluster-wide invariant is reported under (no single node broke it). */
export const clusterNode = "cluster";

/** A node stopped by a failure (a handler threw, its invariant broke), or the cluster by a broken cluster-wide invariant. */
export interface MemoryFailure {
  node: Address;
  reason: string;
}

/** Servers of a cluster whose size neither the configuration nor the caller fixes. */
const defaultServers = 3;
/** While waiting for a ready view: each ask waits this long at most, and the next comes this long after. */
const readyAskMsMax = 250;
const readyPollMs = 50;

export interface MemoryClusterOptions {
  protocol: AnyProtocol;
  /** Servers to run: the count the configuration fixes when it fixes one (a differing count is refused), else this, else 3. */
  servers?: number | undefined;
  config: ProtocolConfigBase;
  /** Check every actor's invariants, and the protocol's cluster-wide ones, after every event. */
  checkInvariants: boolean;
  /** Names the cluster in its events (a broker cluster's `--cluster`). */
  cluster?: string;
  onEvent?: (event: ClusterEvent) => void;
  /** Each node's logger (warnings of the actors); silent by default. */
  logFor?: (address: Address) => Logger;
  /** Decides drops, duplicates and delays; Math.random by default. */
  random?: () => number;
  /** After a failure was logged at error level and published as a `crashed` lifecycle event. */
  onFailure?: (failure: MemoryFailure) => void;
}

export class UnknownNodeError extends Error {
  override readonly name = "UnknownNodeError";
}

export class MemoryCluster {
  readonly network: MemoryNetwork;
  private readonly hosts = new Map<Address, MemoryHost<unknown>>();
  private readonly clients: MemoryClients;
  private started = false;
  private stopped = false;
  private failureSeen: MemoryFailure | null = null;

  /** The servers it runs (MemoryClusterOptions.servers). */
  readonly servers: number;

  constructor(private readonly options: MemoryClusterOptions) {
    const { protocol, config } = options;
    this.network = new MemoryNetwork(options.random);
    this.clients = new MemoryClients(this.network, protocol, config, options.checkInvariants);
    const definitions = new Map(protocol.roles.map((role) => [role.name, protocol.actor(role.name, config)]));
    this.servers = serverCount(protocol, config, options.servers, defaultServers);
    for (const node of protocol.layout(this.servers)) {
      const definition = definitions.get(node.role);
      if (definition === undefined)
        throw new Error(`${protocol.name}'s layout names an unknown role "${node.role}"`);
      this.addHost(node.address, definition);
    }
  }

  get config(): ProtocolConfigBase {
    return this.options.config;
  }

  get protocol(): AnyProtocol {
    return this.options.protocol;
  }

  /** The role a node of this cluster plays, or undefined for an address that is none of its nodes. */
  roleOf(address: Address): RoleSpec | undefined {
    const host = this.hosts.get(address);
    return host === undefined ? undefined : this.protocol.roles.find((role) => role.name === host.kind);
  }

  /** The first failure (a node's, or a broken cluster-wide invariant), if any. */
  get failure(): MemoryFailure | null {
    return this.failureSeen;
  }

  /** The layout's addresses (for pb viewserver, server-1 … server-N). */
  get addresses(): Address[] {
    return [...this.hosts.keys()];
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const host of this.hosts.values()) host.start();
  }

  invoke(op: Op, timeoutMs: number): Promise<OpOutcome> {
    return this.clients.invoke(op, timeoutMs);
  }

  getView(timeoutMs: number): Promise<ViewOutcome> {
    return this.clients.getView(timeoutMs);
  }

  /**
   * Asks for the view (as `view` does) until one serves with the protocol's
   * full redundancy (`broker.ready`; pb: a primary and a backup; VR: a
   * replica in status normal), or with one server, has a primary (there is
   * no redundancy to wait for). Null after `timeoutMs` or once stopped.
   */
  async waitUntilReady(timeoutMs: number): Promise<View | null> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      if (this.stopped || left <= 0) return null;
      const outcome = await this.getView(Math.min(left, readyAskMsMax));
      if (outcome.kind === "stopped") return null;
      if (outcome.kind === "ok" && this.isReady(outcome.view)) return outcome.view;
      await new Promise((resolve) => setTimeout(resolve, readyPollMs).unref());
    }
  }

  private isReady(view: View): boolean {
    if (this.servers === 1) return view.primary !== null;
    return this.protocol.broker.ready(view);
  }

  /** A node's status (`kv status`'s figures: role, view, keys, …); null when it is down or not a server. */
  statusOf(address: Address): NodeStatus | null {
    return this.hosts.get(address)?.status ?? null;
  }

  isUp(address: Address): boolean {
    return this.host(address).isUp;
  }

  /** Applies a control command; returns its effect, as a broker host reports it. */
  control(command: ControlCommand): string {
    let node: Address = networkNode;
    let effect: string;
    switch (command.type) {
      case "crash":
        node = command.node;
        effect = this.host(command.node).crash();
        break;
      case "restart":
        node = command.node;
        effect = this.host(command.node).restart();
        break;
      case "reset": {
        const restarted = this.addresses.filter((address) => !this.host(address).isUp);
        for (const address of restarted) this.host(address).restart();
        const network = this.network.apply(command);
        effect = restarted.length === 0 ? network : `restarted ${restarted.join(", ")}; ${network}`;
        break;
      }
      case "net":
      case "partition":
      case "heal":
        effect = this.network.apply(command);
        break;
      case "status":
        return "status is answered on the broker only (npm run kv -- status)";
      case "start":
        return "start is for npm run cluster's supervisor on the broker (an in-memory cluster has every node it will have)";
      case "tap":
        return "tap is for nodes on the broker (an in-memory cluster has no exchanges to route around)";
    }
    this.publish(node, { type: "fault", command, effect });
    return effect;
  }

  /** Stops every actor and timer; operations still waiting end as `stopped`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clients.stop();
    for (const host of this.hosts.values()) host.stop();
    this.network.close();
  }

  /** Real timers still pending (actor timers, messages in flight, op timeouts): 0 once stopped. */
  pendingTimers(): number {
    let pending = this.network.inFlight + this.clients.pendingTimers;
    for (const host of this.hosts.values()) pending += host.pendingTimers;
    return pending;
  }

  private addHost(address: Address, definition: ReturnType<AnyProtocol["actor"]>): void {
    const host = new MemoryHost<unknown>({
      address,
      definition,
      envelope: this.options.protocol.envelope,
      network: this.network,
      log: this.log(address),
      checkInvariants: this.options.checkInvariants,
      onClusterEvent: (body) => this.publish(address, body),
      onFailure: (failure) => this.onNodeFailure(failure),
      afterEvent: () => this.checkClusterInvariants(),
    });
    this.hosts.set(address, host);
  }

  private log(address: Address): Logger {
    return this.options.logFor?.(address) ?? silentLogger;
  }

  /** The cell stopped the node, logged at error level, and its host published `crashed` with the reason. */
  private onNodeFailure(failure: CellFailure): void {
    this.failed({ node: failure.address, reason: `${failure.error.name}: ${failure.error.message}` });
  }

  /**
   * Debug mode: the protocol's cluster-wide invariants on the live nodes'
   * states. No single node broke one, so none can be stopped for it: the
   * whole cluster stops, loudly, as a simulation run fails.
   */
  private checkClusterInvariants(): void {
    if (!this.options.checkInvariants || this.stopped) return;
    const invariants = this.options.protocol.clusterInvariants;
    if (invariants.length === 0) return;
    const nodes = new Map<Address, LiveNode>();
    for (const [address, host] of this.hosts) {
      const state = host.state;
      if (state !== null) nodes.set(address, { role: host.kind, state });
    }
    for (const invariant of invariants) {
      const why = invariant.check(nodes);
      if (why === null) continue;
      const reason = `invariant ${invariant.name} broken: ${why}`;
      this.log(clusterNode).error(
        { invariant: invariant.name, why },
        "cluster-wide invariant broken: stopping the cluster",
      );
      this.publish(clusterNode, { type: "lifecycle", state: "crashed", detail: reason });
      this.stop();
      this.failed({ node: clusterNode, reason });
      return;
    }
  }

  private failed(failure: MemoryFailure): void {
    this.failureSeen ??= failure;
    this.options.onFailure?.(failure);
  }

  private host(address: Address): MemoryHost<unknown> {
    const host = this.hosts.get(address);
    if (host === undefined) {
      throw new UnknownNodeError(`no node ${JSON.stringify(address)}; nodes: ${this.addresses.join(", ")}`);
    }
    return host;
  }

  private publish(node: Address, body: ClusterEventBody): void {
    const event = { v: 1, cluster: this.options.cluster ?? "memory", node, at: Date.now(), ...body };
    this.options.onEvent?.(event as ClusterEvent);
  }
}
