// `--transport memory`: the view server and N servers as actors of this one
// process on the in-memory network, in real time. Control commands (the
// broker's, same schema) are applied here instead of by every host: crash and
// restart by the named node's host, the network part by the network. Events
// come out as the ClusterEvents a broker cluster publishes on `<c>.events`.
import { type ProtocolConfig } from "../protocols/pb/config.js";
import { type ActorDefinition, type Logger, silentLogger } from "../actors/context.js";
import { createServer } from "../protocols/pb/server.js";
import { createViewServer } from "../protocols/pb/viewServer.js";
import { type Address, serverAddress, viewServerAddress } from "../schemas/address.js";
import type { ClusterEvent, ClusterEventBody } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import type { Op } from "../schemas/op.js";
import { MemoryClients, type OpOutcome, type ViewOutcome } from "./clients.js";
import { MemoryHost } from "./host.js";
import { MemoryNetwork } from "./network.js";

/** The name network-wide fault events are reported under (no single node applies them). */
export const networkNode = "network";

export interface MemoryClusterOptions {
  servers: number;
  config: ProtocolConfig;
  /** Check every actor's invariants after every event. */
  checkInvariants: boolean;
  /** Names the cluster in its events (a broker cluster's `--cluster`). */
  cluster?: string;
  onEvent?: (event: ClusterEvent) => void;
  /** Each node's logger (warnings of the actors); silent by default. */
  logFor?: (address: Address) => Logger;
  /** Decides drops, duplicates and delays; Math.random by default. */
  random?: () => number;
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

  constructor(private readonly options: MemoryClusterOptions) {
    this.network = new MemoryNetwork(options.random);
    this.clients = new MemoryClients(this.network, options.config, options.checkInvariants);
    this.addHost(viewServerAddress, createViewServer(options.config));
    const server = createServer(options.config);
    for (let index = 1; index <= options.servers; index++) this.addHost(serverAddress(index), server);
  }

  /** viewserver, server-1 … server-N. */
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

  private addHost(address: Address, definition: ActorDefinition<unknown>): void {
    const host = new MemoryHost<unknown>({
      address,
      definition,
      network: this.network,
      log: this.options.logFor?.(address) ?? silentLogger,
      checkInvariants: this.options.checkInvariants,
      onClusterEvent: (body) => this.publish(address, body),
    });
    this.hosts.set(address, host);
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
