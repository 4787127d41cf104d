// One cluster of the benchmark: its nodes started by the same supervisor as
// `npm run cluster` (one process per actor, no --debug), its events
// collected, its client actors in this process. The ceiling is a cluster
// whose nodes run the relay actors (`--actors relay`). `stop()` ends the
// processes and deletes every queue and exchange the cluster made.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { BrokerClients } from "../broker/clients.js";
import { BrokerConnection } from "../broker/connection.js";
import { EventSubscription } from "../broker/events.js";
import { type ChildExit, ClusterSupervisor } from "../broker/supervisor.js";
import { type ClusterNames, clusterNames, deleteTopology, topologyTable } from "../broker/topology.js";
import { configArguments } from "../protocols/configOptions.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { configurationEventKeys, isConfiguringNode } from "../protocols/viewHelpers.js";
import { type Address, isServerAddress } from "../schemas/address.js";
import type { BenchSystem, ForwardSettings } from "../schemas/bench.js";
import type { ClusterEvent } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import type { View } from "../schemas/view.js";
import { ClientPool } from "./closedLoop.js";

export interface BenchClusterSpec {
  system: BenchSystem;
  /** Names the cluster (`<prefix>-<label>`) and its rows in progress lines. */
  label: string;
  /** The layout's servers (pb: besides the view server; the ceiling: relay primary and relay backup). */
  servers: number;
  /** The protocol's actors, its relay actors (the ceiling), the raw relay's plain amqplib nodes, or a peer. */
  actors: "pbkv" | "relay" | "raw" | "etcd" | "redis";
  forward: ForwardSettings;
}

export interface BenchEnvironment {
  url: string;
  /** `bench-<random>`: every cluster of this run is named `<prefix>-<label>`. */
  prefix: string;
  /** The protocol every cluster of pbkv's runtime runs (and whose relay actors are the ceiling). */
  protocol: AnyProtocol;
  /** Made by `protocol.config.make`; each cluster adds its forwarding settings. */
  config: ProtocolConfigBase;
  log: Logger;
  /** Each node logs to `<logDirectory>/<label>/<address>.log`. */
  logDirectory: string;
  /** Waiting for a client actor to connect, and for each operation (then it is retired). */
  opTimeoutMs: number;
  /** More arguments for every node (`--cpu-profile DIR`). */
  nodeArgs: string[];
}

export class BenchClusterError extends Error {
  override readonly name = "BenchClusterError";
}

/** How often `waitForEvent` looks at the events received. */
const eventPollMs = 10;

export class BenchCluster {
  readonly exits: ChildExit[] = [];
  readonly pool: ClientPool;
  /** Operations this cluster answered, over every load that ran on it. */
  servedOps = 0;

  private constructor(
    /** Views, roles, transfers and lifecycle events of every node, in arrival order (the subscription appends). */
    readonly events: ClusterEvent[],
    readonly spec: BenchClusterSpec,
    readonly names: ClusterNames,
    readonly supervisor: ClusterSupervisor,
    readonly connection: BrokerConnection,
    readonly clients: BrokerClients,
    private readonly subscription: EventSubscription,
    readonly logDirectory: string,
    private readonly environment: BenchEnvironment,
  ) {
    this.pool = new ClientPool(clients, environment.opTimeoutMs);
  }

  /** Declares the topology, subscribes to events and starts the node processes (see `ready`). */
  static async start(spec: BenchClusterSpec, environment: BenchEnvironment): Promise<BenchCluster> {
    const names = clusterNames(`${environment.prefix}-${spec.label}`);
    const log = environment.log.child({ cluster: names.cluster });
    const logDirectory = path.join(environment.logDirectory, spec.label);
    mkdirSync(logDirectory, { recursive: true });
    const connection = await BrokerConnection.open({
      url: environment.url,
      connectionName: `pbkv ${names.cluster} bench`,
      log,
      topology: topologyTable(names),
    });
    const events: ClusterEvent[] = [];
    const { protocol } = environment;
    // The forwarding settings are configuration fields (pb's forwardBatchMax and forwardWindow).
    const config = protocol.config.make({ ...environment.config, ...spec.forward });
    const subscription = new EventSubscription(
      names,
      [...configurationEventKeys(protocol, config), "role.*", "transfer.*", "lifecycle.*"],
      (event) => events.push(event),
      log,
    );
    await connection.add(subscription);
    const supervisor = new ClusterSupervisor({
      cluster: names.cluster,
      url: environment.url,
      protocol,
      servers: spec.servers,
      nodeArgs: [...configArguments(protocol, config), ...["--actors", spec.actors], ...environment.nodeArgs],
      restartDead: false,
      logs: { directory: logDirectory },
    });
    let clients: BrokerClients;
    try {
      clients = await BrokerClients.open({
        url: environment.url,
        names,
        protocol,
        config,
        log,
        checkInvariants: false,
        label: "bench-clients",
      });
    } catch (error) {
      await subscription.stop(connection).catch(() => {});
      await connection
        .withScratchChannel((channel) => deleteTopology(channel, names, supervisor.addresses))
        .catch(() => {});
      await connection.close();
      throw error;
    }
    const cluster = new BenchCluster(
      events,
      spec,
      names,
      supervisor,
      connection,
      clients,
      subscription,
      logDirectory,
      environment,
    );
    supervisor.on("exit", (exit: ChildExit) => cluster.exits.push(exit));
    supervisor.start();
    return cluster;
  }

  /** Every node started; pbkv: a primary (and full redundancy, `broker.ready`, when there are two servers or more) that acknowledged the view. */
  async ready(timeoutMs: number): Promise<void> {
    const deadlineMs = performance.now() + timeoutMs;
    const remaining = (): number => Math.max(1, deadlineMs - performance.now());
    for (const node of this.supervisor.addresses) {
      await this.waitForEvent(
        (event) => event.type === "lifecycle" && event.node === node && event.state === "started",
        remaining(),
        `${node} started`,
      );
    }
    if (this.spec.actors === "relay") return;
    const redundant = this.spec.servers >= 2;
    const { protocol } = this.environment;
    await this.waitForServingView(
      (view) => view.primary !== null && (!redundant || protocol.broker.ready(view)),
      remaining(),
    );
  }

  /** The numbered servers (pb: every node but the view server). */
  get serverAddresses(): Address[] {
    return this.supervisor.addresses.filter((address) => isServerAddress(address));
  }

  get protocol(): AnyProtocol {
    return this.environment.protocol;
  }

  /** A `view` event of `node` is a configuration change: it answers the configuration query. */
  isConfiguringNode(node: Address): boolean {
    return isConfiguringNode(this.environment.protocol, this.environment.config, node);
  }

  pidOf(address: Address): number | undefined {
    return this.supervisor.pidOf(address);
  }

  /** Throws when a node process died: the figures would mean nothing. */
  assertHealthy(): void {
    const exit = this.exits[0];
    if (exit === undefined) return;
    throw new BenchClusterError(
      `${this.names.cluster}: ${exit.address} (process ${exit.pid ?? "?"}) died (code ${exit.code}, signal ${exit.signal}); its log is in ${this.logDirectory}`,
    );
  }

  async view(timeoutMs: number): Promise<View> {
    return this.clients.getView(timeoutMs);
  }

  /** Asks for the view until `predicate` holds. */
  async waitForView(predicate: (view: View) => boolean, timeoutMs: number): Promise<View> {
    const deadlineMs = performance.now() + timeoutMs;
    let last: View | null = null;
    while (performance.now() < deadlineMs) {
      this.assertHealthy();
      try {
        last = await this.view(Math.max(100, Math.min(2_000, deadlineMs - performance.now())));
        if (predicate(last)) return last;
      } catch {
        // no answer yet: the configuring node may still be starting
      }
      await sleep(50);
    }
    throw new BenchClusterError(
      `${this.names.cluster}: view condition not met within ${timeoutMs} ms; last view ${JSON.stringify(last)}; logs in ${this.logDirectory}`,
    );
  }

  /**
   * Asks for the view until it satisfies `predicate` and its
   * primary serves: it has no backup, or its backup confirmed the state
   * transfer. A view that changes meanwhile (a starved server declared dead)
   * is simply looked at again.
   */
  async waitForServingView(predicate: (view: View) => boolean, timeoutMs: number): Promise<View> {
    const deadlineMs = performance.now() + timeoutMs;
    for (;;) {
      const view = await this.waitForView(predicate, Math.max(1, deadlineMs - performance.now()));
      if (view.backup === null || this.transferOf(view) !== undefined) return view;
      if (performance.now() >= deadlineMs) break;
      await sleep(eventPollMs);
    }
    throw new BenchClusterError(
      `${this.names.cluster}: no view with a serving primary within ${Math.round(timeoutMs)} ms; logs in ${this.logDirectory}`,
    );
  }

  /** The event of `view`'s primary hearing from its backup that the state arrived (it then acknowledges the view). */
  transferOf(view: View): ClusterEvent | undefined {
    return this.events.find(
      (event) => event.type === "transfer" && event.node === view.primary && event.viewNum === view.viewNum,
    );
  }

  /** Views the configuring nodes made from event index `from` on. */
  viewChangesSince(from: number): number {
    // Counted by number: several configuring nodes (VR's replicas) each announce the same view.
    const viewNums = new Set<number>();
    for (let index = from; index < this.events.length; index++) {
      const event = this.events[index];
      if (event?.type === "view" && this.isConfiguringNode(event.node)) viewNums.add(event.view.viewNum);
    }
    return viewNums.size;
  }

  /** Publishes a control command on `<c>.control`, as `npm run fault` does. */
  control(command: ControlCommand): void {
    const sent = this.connection.publish(this.names.control, "", Buffer.from(JSON.stringify(command)), {
      contentType: "application/json",
    });
    if (!sent) throw new BenchClusterError(`${this.names.cluster}: control command not sent (disconnected)`);
  }

  /** The first event from index `from` on (past or future) that satisfies `predicate`. */
  async waitForEvent(
    predicate: (event: ClusterEvent) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
  ): Promise<ClusterEvent> {
    const deadlineMs = performance.now() + timeoutMs;
    let checked = from;
    for (;;) {
      for (; checked < this.events.length; checked++) {
        const event = this.events[checked];
        if (event !== undefined && predicate(event)) return event;
      }
      this.assertHealthy();
      if (performance.now() >= deadlineMs) break;
      await sleep(eventPollMs);
    }
    throw new BenchClusterError(
      `${this.names.cluster}: no event "${what}" within ${Math.round(timeoutMs)} ms; logs in ${this.logDirectory}`,
    );
  }

  /** Kills every node process at once (a second Ctrl-C): nothing is cleaned up. */
  killAll(): void {
    this.supervisor.killAll();
  }

  /** Stops the processes and the clients and deletes the cluster's queues and exchanges; never throws. */
  async stop(): Promise<void> {
    const steps: [string, () => Promise<void>][] = [
      ["stop the nodes", () => this.supervisor.stop()],
      ["stop the clients", () => this.pool.close().then(() => this.clients.close())],
      ["unsubscribe", () => this.subscription.stop(this.connection)],
      [
        "delete the topology",
        () =>
          this.connection
            .withScratchChannel((channel) => deleteTopology(channel, this.names, this.supervisor.addresses))
            .then(() => {}),
      ],
      ["close the connection", () => this.connection.close()],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`${this.names.cluster}: could not ${what}: ${(error as Error).message}\n`);
      }
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
