// A cluster of child processes for one integration test file: a unique
// cluster name (`itest-<random>`), nodes started by the same supervisor as
// `npm run cluster` (in debug mode: invariants after every event), events
// collected, clients in this process. `stop()` ends the processes and deletes
// every queue and exchange the cluster made.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { nanoid } from "nanoid";
import { pino } from "pino";
import { inject } from "vitest";
import { rabbitmqctl } from "../../src/chaos/brokerControl.js";
import { serverCount } from "../../src/protocols/configOptions.js";
import type { AnyProtocol, ProtocolConfigBase } from "../../src/protocols/protocol.js";
import { defaultProtocolName, protocolNamed } from "../../src/protocols/registry.js";
import { BrokerClients, type ClientSession } from "../../src/broker/clients.js";
import { BrokerConnection } from "../../src/broker/connection.js";
import { EventSubscription } from "../../src/broker/events.js";
import { ClusterSupervisor, type ChildExit } from "../../src/broker/supervisor.js";
import { protocolArguments } from "../../src/cli/common.js";
import { type ClusterNames, clusterNames, deleteTopology, topologyTable } from "../../src/broker/topology.js";
import {
  checkHistory,
  formatCheckResult,
  type HistoryRecorder,
  type RecordedOp,
} from "../../src/check/index.js";
import type { Address } from "../../src/schemas/address.js";
import type { ClusterEvent, NodeCounters } from "../../src/schemas/clusterEvents.js";
import type { ControlCommand } from "../../src/schemas/control.js";
import { AgreementChecker, describeDisagreement } from "../../src/broker/agreement.js";
import type { Op } from "../../src/schemas/op.js";
import type { View } from "../../src/schemas/view.js";
import { type BrokerAdmin, rabbitmqctlAdmin } from "../../src/security/admin.js";
import { brokerUserOf } from "../../src/security/principal.js";
import {
  addClientUser,
  type ProvisionedCluster,
  provisionCluster,
  teardownCluster,
} from "../../src/security/provision.js";

export interface TestClusterOptions {
  /** A `--protocol` name; pb by default. */
  protocol?: string;
  servers?: number;
  pingMs?: number;
  pingCheckMs?: number;
  clientRetryMs?: number;
  /** Servers forget a session idle this long (default: the protocol's). */
  sessionExpiryMs?: number;
  /** Any other setting of the protocol's configuration (e.g. VR's viewChangeTimeoutMs). */
  settings?: Readonly<Record<string, number>>;
  /** A secure cluster (issue 17): its own vhost and a broker user per node; the harness is its operator. */
  secure?: boolean;
}

/** What a secure test cluster was given on the broker, to add client users and to tear it down. */
interface TestSecurity {
  admin: BrokerAdmin;
  provisioned: ProvisionedCluster;
  /** The broker's own URL (guest): client user URLs are made from it. */
  brokerUrl: string;
  clientUsers: Map<string, { url: string; clients: BrokerClients | null }>;
}

/** Deletes a secure test cluster's vhost and every user it had, its client users' included. */
async function tearDown(security: TestSecurity, names: ClusterNames): Promise<void> {
  for (const user of security.clientUsers.values()) await user.clients?.close();
  const clientUsers = [...security.clientUsers.keys()].map((name) =>
    brokerUserOf(names.cluster, { kind: "client", name }),
  );
  const { vhost, users } = security.provisioned;
  await teardownCluster(security.admin, vhost, [...users, ...clientUsers]);
}

/** Provisions a secure cluster with the broker's rabbitmqctl (the test's broker control). */
async function provisionForTest(names: ClusterNames, nodes: readonly Address[]): Promise<TestSecurity> {
  const control = inject("brokerControl");
  if (control.kind === "none") throw new Error(`a secure test cluster needs rabbitmqctl: ${control.why}`);
  const admin = rabbitmqctlAdmin(control);
  const brokerUrl = inject("amqpUrl");
  const provisioned = await provisionCluster(admin, { names, brokerUrl, nodes });
  return { admin, provisioned, brokerUrl, clientUsers: new Map() };
}

/** Timings a little looser than DESIGN's defaults: this machine has 2 cores shared with other work. */
export const testTimings = { pingMs: 40, pingCheckMs: 200, clientRetryMs: 100 };

export class TestCluster {
  readonly exits: ChildExit[] = [];

  private constructor(
    /** Every event of the cluster, in arrival order (the subscription appends). */
    readonly events: ClusterEvent[],
    readonly names: ClusterNames,
    readonly url: string,
    readonly protocol: AnyProtocol,
    readonly config: ProtocolConfigBase,
    readonly supervisor: ClusterSupervisor,
    readonly connection: BrokerConnection,
    readonly clients: BrokerClients,
    private readonly subscription: EventSubscription,
    readonly logDirectory: string,
    private readonly security: TestSecurity | null,
  ) {}

  /** A secure cluster's new client user (as `npm run user -- add NAME` makes one): its AMQP URL. */
  async addClientUser(name: string): Promise<string> {
    const security = this.securityOrThrow();
    const url = await addClientUser(security.admin, this.names, security.brokerUrl, name);
    security.clientUsers.set(name, { url, clients: null });
    return url;
  }

  /** Client actors connected as client user `name` (added first with addClientUser). */
  async clientsOf(name: string): Promise<BrokerClients> {
    const user = this.securityOrThrow().clientUsers.get(name);
    if (user === undefined) throw new Error(`no client user ${name}: addClientUser first`);
    user.clients ??= await BrokerClients.open({
      url: user.url,
      names: this.names,
      protocol: this.protocol,
      config: this.config,
      log: pino({ level: process.env["PBKV_TEST_LOG"] ?? "error" }),
      checkInvariants: true,
      label: `harness-${name}`,
    });
    return user.clients;
  }

  /** The `rejected` events so far (input a node refused), in arrival order. */
  rejectedEvents(): Extract<ClusterEvent, { type: "rejected" }>[] {
    return this.events.filter((event) => event.type === "rejected");
  }

  private securityOrThrow(): TestSecurity {
    if (this.security === null) throw new Error("not a secure cluster: start it with { secure: true }");
    return this.security;
  }

  static async start(options: TestClusterOptions = {}): Promise<TestCluster> {
    const names = clusterNames(`itest-${nanoid(8).replace(/[^A-Za-z0-9]/g, "x")}`);
    const protocol = protocolNamed(options.protocol ?? defaultProtocolName);
    const { protocol: _name, servers: _servers, settings: own, secure, ...settings } = options;
    const config = protocol.config.make({ ...testTimings, ...settings, ...own });
    // The count the protocol's configuration fixes (VR's replicas), else the test's, else 3.
    const servers = serverCount(protocol, config, options.servers, 3);
    const nodes = protocol.layout(servers).map((node) => node.address);
    const security = secure === true ? await provisionForTest(names, nodes) : null;
    try {
      return await TestCluster.startOn({ names, protocol, config, servers, security });
    } catch (error) {
      // A cluster that never started is never stopped: its users and vhost go now.
      if (security !== null) await tearDown(security, names);
      throw error;
    }
  }

  private static async startOn(start: {
    names: ClusterNames;
    protocol: AnyProtocol;
    config: ProtocolConfigBase;
    servers: number;
    security: TestSecurity | null;
  }): Promise<TestCluster> {
    const { names, protocol, config, servers, security } = start;
    const url = security?.provisioned.operatorUrl ?? inject("amqpUrl");
    const log = pino({ level: process.env["PBKV_TEST_LOG"] ?? "error" });
    const logDirectory = mkdtempSync(path.join(os.tmpdir(), `pbkv-${names.cluster}-`));
    const connection = await BrokerConnection.open({
      url,
      connectionName: `pbkv ${names.cluster} harness`,
      log,
      topology: topologyTable(names),
    });
    const events: ClusterEvent[] = [];
    const subscription = new EventSubscription(names, ["#"], (event) => events.push(event), log);
    await connection.add(subscription);
    const supervisor = new ClusterSupervisor({
      cluster: names.cluster,
      url,
      ...(security === null ? {} : { nodeUrls: security.provisioned.nodeUrls }),
      protocol,
      servers,
      nodeArgs: ["--debug", ...protocolArguments(protocol, config)],
      restartDead: false,
      logs: { directory: logDirectory },
    });
    const clients = await BrokerClients.open({
      url,
      names,
      protocol,
      config,
      log,
      checkInvariants: true,
      label: "harness-clients",
    });
    const cluster = new TestCluster(
      events,
      names,
      url,
      protocol,
      config,
      supervisor,
      connection,
      clients,
      subscription,
      logDirectory,
      security,
    );
    supervisor.on("exit", (exit: ChildExit) => cluster.exits.push(exit));
    supervisor.start();
    // Every node has bound its control queue once it announced `started` (commands before that are missed).
    for (const node of supervisor.addresses) {
      await cluster.waitForEvent(
        (event) => event.type === "lifecycle" && event.node === node && event.state === "started",
        30_000,
        `${node} started`,
      );
    }
    // Full redundancy as the protocol defines it (pb: a primary and a backup).
    await cluster.waitForView((view) => protocol.broker.ready(view), 30_000);
    return cluster;
  }

  async view(timeoutMs = 5_000): Promise<View> {
    return this.clients.getView(timeoutMs);
  }

  /** Polls the configuration (`broker.viewQuery`; pb: the view server) until `predicate` holds. */
  async waitForView(predicate: (view: View) => boolean, timeoutMs: number): Promise<View> {
    const deadline = performance.now() + timeoutMs;
    let last: View | null = null;
    while (performance.now() < deadline) {
      try {
        last = await this.view(Math.max(100, Math.min(2_000, deadline - performance.now())));
        if (predicate(last)) return last;
      } catch {
        // no answer yet (the view server may still be starting)
      }
      await sleep(50);
    }
    throw new Error(
      `view condition not met within ${timeoutMs} ms; last view ${JSON.stringify(last)}; logs in ${this.logDirectory}`,
    );
  }

  /** Publishes a control command on `<c>.control`, as `npm run fault` does. */
  control(command: ControlCommand): void {
    const sent = this.connection.publish(this.names.control, "", Buffer.from(JSON.stringify(command)), {
      contentType: "application/json",
    });
    if (!sent) throw new Error("control command not sent: harness disconnected");
  }

  /** Publishes raw bytes (tests of bad input). */
  publishRaw(exchange: string, routingKey: string, content: Buffer): void {
    if (!this.connection.publish(exchange, routingKey, content, {})) throw new Error("raw publish not sent");
  }

  /** Resolves with the first event (past or future) that satisfies `predicate`. */
  async waitForEvent(
    predicate: (event: ClusterEvent) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<ClusterEvent> {
    const deadline = performance.now() + timeoutMs;
    let checked = 0;
    while (performance.now() < deadline) {
      for (; checked < this.events.length; checked++) {
        const event = this.events[checked];
        if (event !== undefined && predicate(event)) return event;
      }
      await sleep(20);
    }
    throw new Error(`no event "${what}" within ${timeoutMs} ms; logs in ${this.logDirectory}`);
  }

  /** The newest counters a node published. */
  latestCounters(node: Address): NodeCounters | undefined {
    for (let index = this.events.length - 1; index >= 0; index--) {
      const event = this.events[index];
      if (event?.type === "counters" && event.node === node) return event.counters;
    }
    return undefined;
  }

  /**
   * Has the broker close a connection, found by its client-provided name
   * (`rabbitmqctl list_connections` then `close_connection`). Asynchronous:
   * the clients in this process keep running meanwhile.
   */
  async closeConnectionByName(connectionName: string): Promise<void> {
    const control = inject("brokerControl");
    const run = (args: string[]): Promise<string> => rabbitmqctl(control, args);
    const listing = await run(["-q", "list_connections", "pid", "client_properties"]);
    const line = listing.split("\n").find((row) => row.includes(`{"connection_name","${connectionName}"}`));
    const pid = line?.split("\t")[0];
    if (pid === undefined || pid === "") throw new Error(`no broker connection named "${connectionName}"`);
    await run(["close_connection", pid, "closed by the pbkv integration test"]);
  }

  /**
   * The protocol's state agreement (DESIGN §9) over the events so far: the
   * nodes run with --debug publish where their state is; two at one point must agree.
   */
  agreement(): AgreementChecker {
    const checker = new AgreementChecker();
    for (const event of this.events) if (event.type === "agreement") checker.check(event);
    return checker;
  }

  /** Stops everything; then fails loudly if two nodes disagreed at a point (a broken cluster invariant). */
  async stop(): Promise<void> {
    await this.supervisor.stop();
    await this.clients.close();
    await this.subscription.stop(this.connection);
    await this.connection.withScratchChannel((channel) =>
      deleteTopology(channel, this.names, this.supervisor.addresses),
    );
    await this.connection.close();
    if (this.security !== null) await tearDown(this.security, this.names);
    const broken = this.agreement().disagreements;
    if (broken.length > 0) throw new Error(broken.map(describeDisagreement).join("\n"));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs one op through `session`, recording it; a timeout is recorded as info. */
export async function recordedOp(
  recorder: HistoryRecorder,
  session: ClientSession,
  clientId: number,
  op: Op,
  timeoutMs: number,
): Promise<{ value: string } | null> {
  const recorded: RecordedOp = recorder.invoke(clientId, op.f, op.key, op.f === "get" ? undefined : op.value);
  const outcome = await session.invoke(op, timeoutMs);
  if (outcome.kind === "timeout" || outcome.kind === "expired") {
    recorder.info(recorded);
    return null;
  }
  if (outcome.kind === "refused" || outcome.kind === "failed") {
    recorder.fail(recorded);
    return null;
  }
  recorder.ok(recorded, op.f === "get" ? outcome.value : undefined);
  return { value: outcome.value };
}

/** Checks the history; fails with the checker's counterexample (and the history's size) when not linearizable. */
export function assertLinearizable(recorder: HistoryRecorder): void {
  const result = checkHistory(recorder.events(), { budgetMs: 30_000 });
  if (result.result !== "ok") {
    throw new Error(`history of ${recorder.events().length} events: ${formatCheckResult(result)}`);
  }
}
