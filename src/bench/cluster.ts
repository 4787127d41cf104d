// One cluster of the benchmark: its nodes started by the same supervisor as
// `npm run cluster` (one process per actor, no --debug), its events
// collected, its client actors in this process. The ceiling is a cluster
// whose nodes run the relay actors (`--actors relay`). A cluster of a
// protocol that adds nodes at run time (VR's replica slots) may start them
// (`startNode`), as `npm run cluster`'s supervisor does on the `start`
// command, for the reconfiguration rounds. `stop()` ends the processes and
// deletes every queue and exchange the cluster made.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { BrokerClients } from "../broker/clients.js";
import { BrokerConnection } from "../broker/connection.js";
import { EventSubscription } from "../broker/events.js";
import { type ChildExit, ClusterSupervisor, retiredExitCode } from "../broker/supervisor.js";
import { type ClusterNames, clusterNames, deleteTopology, topologyTable } from "../broker/topology.js";
import { configArguments } from "../protocols/configOptions.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { configurationEventKeys, isConfiguringNode } from "../protocols/viewHelpers.js";
import { type Address, isServerAddress } from "../schemas/address.js";
import type { BenchSystem } from "../schemas/bench.js";
import type { ClusterEvent } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import type { View } from "../schemas/view.js";
import { ClientPool } from "./closedLoop.js";

export interface BenchClusterSpec {
  system: BenchSystem;
  /** Names the cluster (`<prefix>-<label>`) and its rows in progress lines. */
  label: string;
  /** The layout's servers (pb: besides the view server; a ceiling: its relay servers). */
  servers: number;
  /** The protocol's actors, its relay actors (the ceiling), the raw relay's plain amqplib nodes, or a peer. */
  actors: "pbkv" | "relay" | "raw" | "etcd" | "redis";
  /** What a cluster of pbkv's runtime runs (its actors or relay actors); null for the raw relay and the peers. */
  run: ProtocolRun | null;
}

/** A protocol and the configuration (made by `protocol.config.make`) every node of a cluster is started with. */
export interface ProtocolRun {
  protocol: AnyProtocol;
  config: ProtocolConfigBase;
}

export interface BenchEnvironment {
  url: string;
  /** `bench-<random>`: every cluster of this run is named `<prefix>-<label>`. */
  prefix: string;
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
/** Asking one node for its own view (`waitForServingView`): a node that does not answer this soon is not serving. */
const nodeViewTimeoutMs = 1_000;

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
    readonly run: ProtocolRun,
    opTimeoutMs: number,
  ) {
    this.pool = new ClientPool(clients, opTimeoutMs);
  }

  /** Declares the topology, subscribes to events and starts the node processes (see `ready`). */
  static async start(spec: BenchClusterSpec, environment: BenchEnvironment): Promise<BenchCluster> {
    const run = spec.run;
    if (run === null) throw new BenchClusterError(`${spec.label}: not a cluster of pbkv's runtime`);
    const { protocol, config } = run;
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
    const subscription = new EventSubscription(
      names,
      [...configurationEventKeys(protocol, config), "role.*", "transfer.*", "lifecycle.*"],
      (event) => events.push(event),
      log,
    );
    await connection.add(subscription);
    const layout = protocol.layout(spec.servers).map((node) => node.address);
    // Spare slots: not started now (an idle process would weigh on the rows), only on request.
    const startable =
      spec.actors === "pbkv"
        ? (protocol.broker.startable?.(config) ?? []).filter((node) => !layout.includes(node))
        : [];
    const supervisor = new ClusterSupervisor({
      cluster: names.cluster,
      url: environment.url,
      protocol,
      servers: spec.servers,
      startable,
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
      run,
      environment.opTimeoutMs,
    );
    supervisor.on("exit", (exit: ChildExit) => cluster.exits.push(exit));
    supervisor.start();
    return cluster;
  }

  /** Every node started; pbkv: a full view that serves (`waitForServingView`, `isFull`). */
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
    await this.waitForServingView(remaining(), (view) => this.isFull(view));
  }

  /** The view has the redundancy the configuration asks for (`bench.full`; chain: every link), not only the least that serves. */
  isFull(view: View): boolean {
    if (this.spec.servers < 2) return true;
    return this.run.protocol.bench.full?.(view, this.run.config) ?? true;
  }

  /** The numbered servers (pb: every node but the view server). */
  get serverAddresses(): Address[] {
    return this.supervisor.addresses.filter((address) => isServerAddress(address));
  }

  get protocol(): AnyProtocol {
    return this.run.protocol;
  }

  /** A `view` event of `node` is a configuration change: it answers the configuration query. */
  isConfiguringNode(node: Address): boolean {
    return isConfiguringNode(this.run.protocol, this.run.config, node);
  }

  /** Two servers or more: the protocol's full redundancy (`broker.ready`); one server serves alone once it is primary. */
  private readyView(view: View): boolean {
    if (this.spec.servers < 2) return view.primary !== null;
    return this.run.protocol.broker.ready(view);
  }

  /** The event that shows `view` serving (`bench.servingEvent`); an unreplicated view, or a protocol without the hook, serves as answered (null). */
  servingEventOf(view: View): ClusterEvent | null | undefined {
    const servingEvent = this.run.protocol.bench.servingEvent;
    if (servingEvent === undefined || this.spec.servers < 2) return null;
    return this.events.find((event) => servingEvent(view, event));
  }

  /** Starts a node beyond the layout (VR: a replica slot); throws when the supervisor may not. */
  startNode(address: Address): void {
    const result = this.supervisor.startOnRequest(address);
    if (!result.started)
      throw new BenchClusterError(`${this.names.cluster}: ${address} not started: ${result.detail}`);
  }

  isRunning(address: Address): boolean {
    return this.supervisor.isRunning(address);
  }

  pidOf(address: Address): number | undefined {
    return this.supervisor.pidOf(address);
  }

  /**
   * Throws when a node process died: the figures would mean nothing. A
   * replica a reconfiguration removed exits as retired, on purpose.
   */
  assertHealthy(): void {
    const exit = this.exits.find((candidate) => candidate.code !== retiredExitCode);
    if (exit === undefined) return;
    throw new BenchClusterError(
      `${this.names.cluster}: ${exit.address} (process ${exit.pid ?? "?"}) died (code ${exit.code}, signal ${exit.signal}); its log is in ${this.logDirectory}`,
    );
  }

  async view(timeoutMs: number, nodes?: readonly Address[]): Promise<View> {
    return this.clients.getView(timeoutMs, nodes);
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
   * Asks for the view until it satisfies `predicate` and serves with the
   * cluster's redundancy, through the protocol's interface only: the view
   * `broker.ready` accepts (one server: a primary), every node of the view
   * query answering that same view on its own (VR: each replica normal in it,
   * a restarted one recovered; pb: its view server alone), and the
   * protocol's `bench.servingEvent` for it seen (pb: the transfer to its
   * backup). A view that changes meanwhile is simply looked at again.
   */
  async waitForServingView(
    timeoutMs: number,
    predicate: (view: View) => boolean = () => true,
  ): Promise<View> {
    const deadlineMs = performance.now() + timeoutMs;
    const remaining = (): number => Math.max(1, deadlineMs - performance.now());
    for (;;) {
      const view = await this.waitForView(
        (answer) => predicate(answer) && this.readyView(answer),
        remaining(),
      );
      if (this.servingEventOf(view) !== undefined && (await this.everyNodeAnswers(view))) return view;
      if (performance.now() >= deadlineMs) break;
      await sleep(eventPollMs);
    }
    throw new BenchClusterError(
      `${this.names.cluster}: no view with a serving primary within ${Math.round(timeoutMs)} ms; logs in ${this.logDirectory}`,
    );
  }

  /**
   * Every node of the view (VR: its epoch's members; otherwise every node of
   * the view query), asked on its own, answers `view` (its number, and ready).
   * Not every slot VR's query asks exists: a slot no process runs never answers.
   */
  private async everyNodeAnswers(view: View): Promise<boolean> {
    const nodes = view.replicas ?? this.run.protocol.broker.viewQuery.to(this.run.config);
    if (nodes.length < 2) return true;
    const answers = await Promise.all(
      nodes.map((node) => this.view(nodeViewTimeoutMs, [node]).catch(() => null)),
    );
    return answers.every((answer) => answer?.viewNum === view.viewNum && this.readyView(answer));
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
