// One cluster for one chaos run: the protocol's nodes (`layout`) as child
// processes (the same supervisor as `npm run cluster`, nodes in debug mode so
// that a broken invariant stops them), an observer, and the hands the nemesis
// acts with: control commands, SIGKILL and respawn, broker connection kills.
// `stop()` ends every process and deletes every queue and exchange the run made.
// With `reconfigurable`, the supervisor also starts the protocol's other slots
// on the `start` control command (as `npm run cluster` does, for `npm run
// reconfigure`'s steps), and a node whose process retires after a
// reconfiguration removed it (exit 75) is gone on purpose: not a crash, not
// restarted, no longer one of `servers` or `addresses`.
import { publishControl } from "../broker/controlPublish.js";
import type { Logger } from "pino";
import { BrokerConnection } from "../broker/connection.js";
import { type ChildExit, ClusterSupervisor, retiredExitCode } from "../broker/supervisor.js";
import { SupervisorControl } from "../broker/supervisorControl.js";
import { type ClusterNames, clusterNames, deleteTopology, topologyTable } from "../broker/topology.js";
import { configArguments } from "../protocols/configOptions.js";
import type { AnyProtocol, NodeSpec, ProtocolConfigBase, RoleSpec } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import type { ControlCommand } from "../schemas/control.js";
import { describeView } from "../schemas/view.js";
import type { BrokerControl } from "./brokerControl.js";
import { ClusterObserver, sleep, type ViewObservation } from "./observer.js";

/** A command not acknowledged by every node within this long is published again. */
export const republishMs = 700;
/** An unexpectedly dead server process is started again after this long (the run already failed). */
export const unexpectedRespawnMs = 1_000;
/** A SIGKILLed process is gone within this long (its exit seen by the supervisor), even on a busy machine. */
export const killExitWaitMs = 10_000;

export interface ChaosClusterOptions {
  url: string;
  cluster: string;
  servers: number;
  protocol: AnyProtocol;
  config: ProtocolConfigBase;
  /** Each node's log goes to `<dir>/<node>.log`. */
  logDirectory: string;
  log: Logger;
  brokerControl: BrokerControl;
  /** Nodes check their invariants after every event (a broken one stops the process with code 70). */
  debug: boolean;
  startTimeoutMs?: number;
  /** Nodes beyond the layout may be started on request (the protocol's `broker.startable`), and retire. */
  reconfigurable?: boolean;
}

/** A time a node could not receive: its process killed or dead, or its broker connection closed. */
export interface Outage {
  node: Address;
  /** retired: its process exited after a reconfiguration removed it (until it is started again, if ever). */
  kind: "kill" | "connection" | "death" | "retired" | "not started";
  startMs: number;
}

/** A node process that exited without the nemesis having killed it. */
export interface UnexpectedExit extends ChildExit {
  atMs: number;
}

export class ChaosCluster {
  readonly names: ClusterNames;
  /** A node heard from within this long is live: half the time the protocol takes to notice a failure. */
  readonly liveWithinMs: number;
  readonly unexpectedExits: UnexpectedExit[] = [];
  readonly outages: Outage[] = [];
  /** Nodes whose process is down: killed by the nemesis and not yet respawned, or died. */
  private readonly expectedExitPids = new Set<number>();
  /**
   * Kills whose exit the supervisor has not seen yet. Until it has, the
   * process counts as running: a respawn then did nothing, and a reset was
   * sent to the dead process (the "reset not acknowledged" failures).
   */
  private readonly pendingKills = new Map<
    Address,
    { pid: number; exited: Promise<void>; exit: () => void }
  >();
  /** Nodes a reconfiguration asked to remove: their retirement (exit 75) is expected. */
  private readonly removed = new Set<Address>();
  /** Nodes whose process retired and was not started again, and when (performance.now()). */
  readonly retired = new Map<Address, number>();
  /** Every retirement, in order (a slot named again may retire again). */
  readonly retirements: Address[] = [];
  private startListener: SupervisorControl | null = null;
  private readonly startedAtMs = performance.now();
  private stopping = false;

  private constructor(
    readonly options: ChaosClusterOptions,
    readonly connection: BrokerConnection,
    readonly observer: ClusterObserver,
    readonly supervisor: ClusterSupervisor,
  ) {
    this.names = clusterNames(options.cluster);
    const { protocol } = options;
    this.liveWithinMs = protocol.config.failureDetectionMs(options.config) / 2;
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const names = clusterNames(options.cluster);
    const connection = await BrokerConnection.open({
      url: options.url,
      connectionName: `pbkv ${names.cluster} chaos`,
      log: options.log,
      topology: topologyTable(names),
    });
    const observer = new ClusterObserver(options.protocol, names, connection, options.log, options.config);
    await observer.start();
    const { config } = options;
    const nodeArgs = [
      // At info, each node's log says what it did (commands applied, crashes, connections):
      // the logs a failed run keeps were empty at the default level.
      "--log-level",
      "info",
      ...configArguments(options.protocol, config),
    ];
    if (options.debug) nodeArgs.push("--debug");
    const supervisor = new ClusterSupervisor({
      cluster: names.cluster,
      url: options.url,
      protocol: options.protocol,
      servers: options.servers,
      nodeArgs,
      restartDead: false, // the nemesis decides, and we tell its kills from real deaths
      logs: { directory: options.logDirectory },
      ...(options.reconfigurable === true
        ? { startable: options.protocol.broker.startable?.(config) ?? [] }
        : {}),
    });
    const cluster = new ChaosCluster(options, connection, observer, supervisor);
    supervisor.on("exit", (exit: ChildExit) => cluster.onExit(exit));
    supervisor.on("spawn", ({ address }: { address: Address }) => cluster.onSpawn(address));
    supervisor.start();
    if (options.reconfigurable === true) await cluster.listenForStarts();
    try {
      await cluster.waitUntilReady(options.startTimeoutMs ?? 60_000);
    } catch (error) {
      await cluster.stop().catch(() => {});
      throw error;
    }
    return cluster;
  }

  /** Every node announced `started`, and the view is settled (`broker.ready`, taken up; pb: has a backup, acknowledged). */
  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const observer = this.observer;
    for (const node of this.supervisor.addresses) {
      const started = await observer.waitForEvent(
        (event) => event.type === "lifecycle" && event.node === node && event.state === "started",
        0,
        timeoutMs,
      );
      if (started === null) throw new Error(`${node} did not start within ${timeoutMs} ms`);
    }
    const ready = await observer.waitFor(() => {
      const seen = observer.view;
      return seen !== null && observer.settled(seen);
    }, timeoutMs);
    if (!ready)
      throw new Error(
        `no settled view (full redundancy, taken up) within ${timeoutMs} ms; last ${seen(observer.view)}`,
      );
  }

  /** Every node the cluster has (started, and not retired), in the order they were started. */
  get addresses(): Address[] {
    return this.supervisor.addresses.filter((address) => !this.retired.has(address));
  }

  /** The nodes the nemesis may crash (their role is `crashable`), in the order they were started; not retired ones. */
  get servers(): Address[] {
    return this.addresses.filter((address) => roleSpecOf(this.options.protocol, address)?.crashable === true);
  }

  /**
   * A reconfiguration asked to remove these nodes: their process may now
   * retire (exit 75), which is then no crash.
   */
  expectRetirement(nodes: readonly Address[]): void {
    for (const node of nodes) this.removed.add(node);
  }

  /** The supervisor's `start` command on `<c>.control` (`npm run reconfigure`'s way to new replicas). */
  private async listenForStarts(): Promise<void> {
    this.startListener = new SupervisorControl({
      names: this.names,
      connection: this.connection,
      supervisor: this.supervisor,
      operatorUser: null,
      log: this.options.log,
      say: (line) => this.options.log.warn(line),
    });
    await this.connection.add(this.startListener);
  }

  /** Every node with its role (what the protocol's hostile messages are aimed with). */
  get nodes(): NodeSpec[] {
    return this.addresses.map((address) => ({
      address,
      role: this.options.protocol.roleOf(address) ?? "unknown",
    }));
  }

  /** The nodes the nemesis may not crash (pb: the view server), in layout order. */
  get uncrashable(): Address[] {
    return this.addresses.filter((address) => roleSpecOf(this.options.protocol, address)?.crashable !== true);
  }

  /** Publishes a control command on `<c>.control`; false when our connection is down. */
  control(command: ControlCommand): boolean {
    return publishControl(this.connection, this.names, command);
  }

  /**
   * Publishes a command until each of `nodes` acknowledged it (a `fault` event
   * with the same command), publishing again every `republishMs` for those a
   * disconnect made miss it. Resolves with the nodes that never acknowledged.
   */
  async applyEverywhere(
    command: ControlCommand,
    nodes: readonly Address[],
    timeoutMs: number,
  ): Promise<Address[]> {
    const text = JSON.stringify(command);
    const since = this.observer.eventMark;
    const waiting = new Set(nodes);
    const deadline = performance.now() + timeoutMs;
    let checked = since;
    while (waiting.size > 0 && performance.now() < deadline) {
      this.control(command);
      await this.observer.waitFor(
        () => {
          for (; checked < this.observer.events.length; checked++) {
            const event = this.observer.events[checked];
            if (event?.type === "fault" && JSON.stringify(event.command) === text) waiting.delete(event.node);
          }
          return waiting.size === 0;
        },
        Math.min(republishMs, Math.max(0, deadline - performance.now())),
      );
    }
    return [...waiting];
  }

  /** False from the moment of a kill, before the supervisor has seen the process exit. */
  isProcessRunning(address: Address): boolean {
    return !this.pendingKills.has(address) && this.supervisor.isRunning(address);
  }

  /** SIGKILL to a node's process; the exit is expected (not counted as a crash). */
  kill(address: Address): boolean {
    const pid = this.supervisor.pidOf(address);
    if (pid === undefined || !this.supervisor.isRunning(address)) return false;
    this.expectedExitPids.add(pid);
    let exit: () => void = () => {};
    const exited = new Promise<void>((resolve) => (exit = resolve));
    this.pendingKills.set(address, { pid, exited, exit });
    this.outages.push({ node: address, kind: "kill", startMs: performance.now() });
    return this.supervisor.kill(address, "SIGKILL");
  }

  /** Killed by `kill` and not started since (its exit may not be seen yet). */
  isKilled(address: Address): boolean {
    return this.pendingKills.has(address) || !this.supervisor.isRunning(address);
  }

  /** Starts a node whose process is not running; resolves once it announced `started` (or on timeout). */
  async respawn(address: Address, timeoutMs = 30_000): Promise<boolean> {
    const kill = this.pendingKills.get(address);
    if (kill !== undefined) await Promise.race([kill.exited, sleep(killExitWaitMs)]);
    if (this.supervisor.isRunning(address)) return kill === undefined; // a kill not yet done: failed
    this.pendingKills.delete(address);
    const since = this.observer.eventMark;
    this.supervisor.restart(address);
    const started = await this.observer.waitForEvent(
      (event) => event.type === "lifecycle" && event.node === address && event.state === "started",
      since,
      timeoutMs,
    );
    return started !== null;
  }

  /** The broker's ids of the connection named `pbkv <c> <label>` (label: a node's address, `chaos-load`). */
  async findConnections(label: string): Promise<string[]> {
    return this.options.brokerControl.findConnections(`pbkv ${this.names.cluster} ${label}`);
  }

  async closeConnections(label: string, pids: readonly string[]): Promise<void> {
    this.outages.push({ node: label, kind: "connection", startMs: performance.now() });
    await this.options.brokerControl.closeConnections(pids, "closed by the pbkv chaos nemesis");
  }

  /** When the outage ended: the node's next `started` or `connected` event (Infinity: never). */
  outageEndMs(outage: Outage): number {
    const { events, eventArrivalMs } = this.observer;
    for (let index = 0; index < events.length; index++) {
      const event = events[index];
      const arrivedMs = eventArrivalMs[index] ?? 0;
      if (arrivedMs < outage.startMs || event?.type !== "lifecycle" || event.node !== outage.node) continue;
      if (event.state === "started" || event.state === "connected") return arrivedMs;
    }
    return Infinity;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.startListener?.stop(this.connection);
    await this.supervisor.stop();
    await this.observer.stop();
    try {
      // Retired nodes' queues too.
      await this.connection.withScratchChannel((channel) =>
        deleteTopology(channel, this.names, this.supervisor.addresses),
      );
    } finally {
      await this.connection.close();
    }
  }

  /**
   * A node beyond the layout could not receive before it started; a retired
   * one that is started again (a later reconfiguration names it) is back.
   */
  private onSpawn(address: Address): void {
    if (this.retired.delete(address)) this.removed.delete(address);
    const inLayout = this.options.protocol.layout(this.options.servers);
    const known = this.outages.some((outage) => outage.node === address);
    if (!known && !inLayout.some((node) => node.address === address))
      this.outages.push({ node: address, kind: "not started", startMs: this.startedAtMs });
  }

  private onExit(exit: ChildExit): void {
    const kill = this.pendingKills.get(exit.address);
    if (kill !== undefined && kill.pid === exit.pid) kill.exit();
    if (this.stopping || exit.action === "stopped") return;
    if (exit.pid !== undefined && this.expectedExitPids.delete(exit.pid)) return;
    if (exit.code === retiredExitCode && this.removed.has(exit.address)) {
      this.retired.set(exit.address, performance.now());
      this.retirements.push(exit.address);
      this.outages.push({ node: exit.address, kind: "retired", startMs: performance.now() });
      return;
    }
    this.unexpectedExits.push({ ...exit, atMs: performance.now() });
    this.outages.push({ node: exit.address, kind: "death", startMs: performance.now() });
    this.options.log.error({ exit }, "a node process died without being killed by the nemesis");
    // Keep the run going (it already failed): a dead server comes back; a node whose role is
    // not restartable (pb: the view server, whose views cannot be rebuilt) cannot.
    if (roleSpecOf(this.options.protocol, exit.address)?.restartable !== true) return;
    void sleep(unexpectedRespawnMs).then(() => {
      if (!this.stopping) this.supervisor.restart(exit.address);
    });
  }
}

/** The role a node plays, by its address (undefined for an address the protocol gives no node). */
export function roleSpecOf(protocol: AnyProtocol, address: Address): RoleSpec | undefined {
  const role = protocol.roleOf(address);
  return protocol.roles.find((spec) => spec.name === role);
}

function seen(observation: ViewObservation | null): string {
  return observation === null ? "view: none seen" : describeView(observation.view);
}
