// `npm run cluster -- [--servers 3] [--cluster NAME] [--protocol pb]`: the
// protocol's layout (for pb the view server and N servers), one child process
// per node, against RabbitMQ. Prints view and role
// changes, faults and dead processes, one line each; Ctrl-C (or SIGTERM)
// stops the children and deletes the cluster's queues and exchanges.
// `--transport memory` runs them all in this process instead, without a
// broker, with a command console (src/cli/memoryCluster.ts).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import type { Logger } from "pino";
import { BrokerConnection, redactUrl } from "../broker/connection.js";
import { type DiscoveredBroker, NoBrokerError } from "../broker/discovery.js";
import { EventSubscription } from "../broker/events.js";
import { type ChildExit, ClusterSupervisor } from "../broker/supervisor.js";
import { SupervisorControl } from "../broker/supervisorControl.js";
import { brokerUserOf } from "../security/principal.js";
import {
  type ClusterNames,
  type DeletedTopology,
  deleteTopology,
  topologyTable,
} from "../broker/topology.js";
import {
  addCommonOptions,
  addProtocolOptions,
  clockTime,
  CommandError,
  describeLayout,
  exitCodes,
  findBroker,
  loggerFor,
  namesOf,
  positiveInt,
  protocolArguments,
  protocolConfig,
  protocolOf,
  runCommand,
  quietOnBrokenPipe,
  serversOf,
  usageExitCodes,
  writableDirectory,
} from "./common.js";
import { EventPrinter } from "./eventPrinter.js";
import type { BrokerAdmin } from "../security/admin.js";
import {
  brokerForCluster,
  type ChosenBroker,
  type ClusterAccess,
  closeClusterAccess,
  insecureWarning,
  openClusterAccess,
  purgeClusterAccess,
} from "./clusterSecurity.js";
import { configurationEventKeys } from "../protocols/viewHelpers.js";
import { Interrupt } from "./interrupt.js";
import { type ClusterOptions, runMemoryCluster } from "./memoryCluster.js";

const serversMax = 32;

const program = new Command("cluster")
  .description(
    "start the protocol's nodes (for pb the view server and N servers), one process each, against RabbitMQ (or, with --transport memory, all in this process with a console); Ctrl-C stops all",
  )
  .addOption(
    new Option("--servers <n>", `number of servers (1-${serversMax})`).argParser(positiveInt).default(3),
  )
  .addOption(
    new Option(
      "--transport <kind>",
      "broker: one process per node over RabbitMQ; memory: every node in this process on an in-memory network, with a command console (no broker needed)",
    )
      .choices(["broker", "memory"])
      .default("broker"),
  )
  .option(
    "--debug",
    "nodes check their invariants after every event (with --transport memory also the protocol's cluster-wide invariants)",
    false,
  )
  .option("--no-restart", "leave a dead server process dead (default: restart it after a second)")
  .option("--node-logs <dir>", "write each node's log to <dir>/<node>.log instead of this terminal's stderr")
  .option("--ui [port]", "also serve the live dashboard on http://127.0.0.1:<port>/ (default 8080)")
  .option(
    "--purge",
    "only delete the queues, exchanges, vhost and broker users a cluster of this name left behind (it must not be running)",
    false,
  )
  .option(
    "--insecure",
    "no vhost and no broker users of its own: any user of the broker may read, forge and inject faults (docs/SECURITY.md)",
    false,
  )
  .option(
    "--admin-url <url>",
    "the broker's management API (http://ADMIN:PASS@HOST:15672), to make the cluster's users on a broker this machine's rabbitmqctl does not reach",
  );
addCommonOptions(program);
addProtocolOptions(program);
program.action((options: ClusterOptions) => runCommand(() => runCluster(options)));

async function runCluster(options: ClusterOptions): Promise<number> {
  options.servers = serversOf(program, protocolOf(options), protocolConfig(options), options.servers);
  if (options.servers > serversMax) throw new CommandError(`at most ${serversMax} servers`, exitCodes.usage);
  if (options.transport === "memory") return runMemoryCluster(options);
  const names = namesOf(options);
  protocolConfig(options); // validates the settings before any process starts
  const log = loggerFor(options, "pbkv-cluster").child({ cluster: names.cluster });
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  // Found first: with none to be had the cluster runs in memory, under its own console's Ctrl-C.
  // (A private broker being started stops itself on a Ctrl-C meanwhile.)
  // Refused before any work, the broker included.
  const logs = options.nodeLogs === undefined ? "inherit" : { directory: nodeLogDirectory(options.nodeLogs) };
  const found = await brokerOrNone(options, say);
  if (found === null) return runMemoryCluster(options);
  const { broker, admin } = await chooseBroker(found, options, names, log, say);
  // From here on, a Ctrl-C stops the cluster cleanly as soon as it runs.
  let supervisor: ClusterSupervisor | null = null;
  const interrupt = new Interrupt({
    say,
    onForcedExit: () => {
      supervisor?.killAll();
      // Its data directory and record stay: the next start of this cluster removes them.
      if (broker.privateBroker !== undefined) process.kill(broker.privateBroker.brokerPid, "SIGKILL");
    },
    leftBehind: () =>
      `node processes killed; queues and exchanges of "${names.cluster}" may be left: delete them with npm run cluster -- --cluster ${names.cluster} --purge`,
  }).listen();
  try {
    return await startAndServe({
      options,
      names,
      log,
      say,
      broker,
      admin,
      logs,
      interrupt,
      setSupervisor: (s) => (supervisor = s),
    });
  } finally {
    interrupt.finish();
  }
}

interface ClusterStart {
  options: ClusterOptions;
  names: ClusterNames;
  log: Logger;
  say: (line: string) => void;
  broker: DiscoveredBroker;
  /** How the cluster's users are made; null: it runs open. */
  admin: BrokerAdmin | null;
  logs: "inherit" | { directory: string };
  interrupt: Interrupt;
  setSupervisor: (supervisor: ClusterSupervisor) => void;
}

async function startAndServe(start: ClusterStart): Promise<number> {
  const { options, names, log, say, broker, logs } = start;
  if (options.purge) return purge(start);
  const nodes = protocolOf(options)
    .layout(options.servers)
    .map((node) => node.address);
  // Nodes it may start later (VR's replica slots) get their broker users now: a secure vhost's users are made once.
  const startable = startableNodes(options).filter((address) => !nodes.includes(address));
  const access = await openClusterAccess({
    names,
    broker,
    nodes: [...nodes, ...startable],
    admin: start.admin,
  }).catch(async (error: unknown) => {
    await broker.stop(); // a broker this command started must not outlive it
    throw error;
  });
  if (access.secure === null && options.insecure) say(insecureWarning);
  const connection = await BrokerConnection.open({
    url: access.url,
    connectionName: `pbkv ${names.cluster} cluster`,
    log,
    topology: topologyTable(names),
  }).catch(async (error: unknown) => {
    await closeClusterAccess(access, names);
    await broker.stop();
    throw error;
  });
  try {
    // Before anything that cleans up: a refused command must not touch the running cluster.
    const first = protocolOf(options).layout(options.servers)[0]?.address ?? "";
    await refuseIfRunning(connection, names, first);
  } catch (error) {
    await connection.close();
    await closeClusterAccess(access, names);
    await broker.stop();
    throw error;
  }
  const supervisor = new ClusterSupervisor({
    cluster: names.cluster,
    url: access.url,
    ...(access.nodeUrls === undefined ? {} : { nodeUrls: access.nodeUrls }),
    protocol: protocolOf(options),
    servers: options.servers,
    startable,
    nodeArgs: nodeArguments(options),
    restartDead: options.restart,
    logs,
  });
  start.setSupervisor(supervisor);
  return serveUntilInterrupted({ ...start, broker, connection, supervisor, access });
}

/** `--purge`: what a cluster of this name left behind, open (in `/`) and secure (its vhost and users). */
async function purge(start: ClusterStart): Promise<number> {
  const { options, names, log, say, broker } = start;
  try {
    const connection = await plainConnection(broker.url, names, log);
    try {
      const first = protocolOf(options).layout(options.servers)[0]?.address ?? "";
      await refuseIfRunning(connection, names, first);
      const nodes = [
        ...protocolOf(options)
          .layout(options.servers)
          .map((node) => node.address),
        ...startableNodes(options),
      ];
      const deleted = await cleanUp(connection, names, nodes, say);
      if (deleted !== null) say(`deleted ${describeDeleted(deleted)} of "${names.cluster}"`);
    } finally {
      await connection.close();
    }
    const purged = await purgeClusterAccess(names, broker, options.adminUrl);
    say(purged);
  } finally {
    await broker.stop();
  }
  return exitCodes.ok;
}

interface RunningCluster extends ClusterStart {
  connection: BrokerConnection;
  supervisor: ClusterSupervisor;
  access: ClusterAccess;
}

/** Runs the cluster until Ctrl-C (or SIGTERM), then stops every process and deletes the topology. */
async function serveUntilInterrupted(running: RunningCluster): Promise<number> {
  const { options, names, say, broker, connection, supervisor, interrupt, access } = running;
  const protocol = protocolOf(options);
  const config = protocolConfig(options);
  const printer = new EventPrinter(protocol, say, config);
  const subscription = new EventSubscription(
    names,
    [...configurationEventKeys(protocol, config), "role.*", "lifecycle.*", "fault.*", "rejected.*", "load.*"],
    (event) => printer.print(event),
    running.log,
  );
  const control = new SupervisorControl({
    names,
    connection,
    supervisor,
    operatorUser: access.secure === null ? null : brokerUserOf(names.cluster, { kind: "operator" }),
    log: running.log,
    say: (line) => say(`${clockTime()} ${line}`),
  });
  let dashboard: { close(): Promise<void> } | null = null;
  let deleted: DeletedTopology | null;
  let secured: string | null;
  try {
    await connection.add(subscription);
    await connection.add(control);
    say(
      `pbkv cluster "${names.cluster}" on ${redactUrl(broker.url)} (${broker.source}): ${describeLayout(protocol, options.servers)}; Ctrl-C stops`,
    );
    if (access.secure !== null)
      say(
        `secure: vhost ${access.secure.provisioned.vhost}, a broker user per node; this machine's commands of "${names.cluster}" find the operator's access; more users: npm run user -- add NAME`,
      );
    if (broker.source === "container" && access.secure === null)
      say(`other commands need: export RABBITMQ_URL='${broker.url}'`);
    if (broker.source === "private broker")
      say(`other commands of "${names.cluster}" find its private broker by themselves`);
    reportProgress(running);
    if (options.ui !== undefined) {
      // Before the nodes, so that it sees the first views.
      const { startClusterUi } = await import("../dashboard/ui.js");
      const ui = {
        port: options.ui,
        protocol,
        names,
        url: running.access.url,
        clientRetryMs: options.clientRetryMs,
        config,
      };
      dashboard = await startClusterUi({ ...ui, log: running.log, say });
    }
    supervisor.start();
    const signal = await interrupt.received;
    say(`${clockTime()} ${signal}: stopping the cluster (a second Ctrl-C gives up on a clean stop)`);
  } finally {
    await dashboard?.close();
    await control.stop(connection);
    await supervisor.stop();
    await subscription.stop(connection);
    // A secure cluster's queues and exchanges go with its vhost.
    deleted = access.secure === null ? await cleanUp(connection, names, supervisor.addresses, say) : null;
    await connection.close();
    secured = await closeClusterAccess(access, names).catch((error: Error) => {
      say(
        `could not delete the vhost and broker users of "${names.cluster}": ${error.message}; try npm run cluster -- --cluster ${names.cluster} --purge`,
      );
      return "";
    });
    await broker.stop();
  }
  const processes = `stopped ${supervisor.addresses.length} node processes${
    broker.source === "private broker" ? " and the private broker (its data deleted)" : ""
  }`;
  const what =
    secured !== null
      ? secured === ""
        ? "the vhost and users are not deleted (above)"
        : `deleted the ${secured}`
      : deleted === null
        ? "the queues and exchanges are not all deleted (above)"
        : `deleted ${describeDeleted(deleted)} of "${names.cluster}"`;
  say(`${clockTime()} ${processes}; ${what}`);
  return exitCodes.ok;
}

/** One line per broker connection change and per node process start, exit or failure to start. */
function reportProgress({ say, connection, supervisor }: RunningCluster): void {
  connection.on("disconnected", (error: Error) =>
    say(`${clockTime()} lost the broker connection (${error.message}); reconnecting`),
  );
  connection.on("connected", (count: number) => {
    if (count > 1) say(`${clockTime()} reconnected to the broker; nodes reconnect on their own`);
  });
  supervisor.on("spawn", ({ address, pid }: { address: string; pid: number | undefined }) =>
    say(`${clockTime()} ${address.padEnd(12)} process ${pid ?? "?"} started`),
  );
  supervisor.on("exit", (exit: ChildExit) => {
    if (exit.action !== "stopped") say(`${clockTime()} ${exit.address.padEnd(12)} ${describeExit(exit)}`);
  });
  supervisor.on("spawnError", ({ address, error }: { address: string; error: Error }) =>
    say(`${clockTime()} ${address.padEnd(12)} cannot start: ${error.message}`),
  );
}

/** A connection with the discovered broker's own URL, which declares nothing. */
function plainConnection(url: string, names: ClusterNames, log: Logger): Promise<BrokerConnection> {
  return BrokerConnection.open({ url, connectionName: `pbkv ${names.cluster} cluster`, log, topology: null });
}

/**
 * The broker a cluster runs on and how its users are made (`brokerForCluster`):
 * an unreachable broker says so first (exit 69), before anything asks it for users.
 */
async function chooseBroker(
  found: DiscoveredBroker,
  options: ClusterOptions,
  names: ClusterNames,
  log: Logger,
  say: (line: string) => void,
): Promise<ChosenBroker> {
  try {
    await (await plainConnection(found.url, names, log)).close();
    if (options.purge) return { broker: found, admin: null };
    return await brokerForCluster(found, { ...options, cluster: names.cluster, say });
  } catch (error) {
    await found.stop(); // a broker this command started must not outlive it
    throw error;
  }
}

/**
 * The broker to run on; null (run in memory) when none was given, none is
 * reachable and none could be started, so `npm run cluster` always runs.
 */
async function brokerOrNone(
  options: ClusterOptions,
  say: (line: string) => void,
): Promise<DiscoveredBroker | null> {
  try {
    return await findBroker(options, !options.purge, say, false);
  } catch (error) {
    const given = options.url !== undefined || (process.env["RABBITMQ_URL"] ?? "") !== "";
    if (given || options.purge || !(error instanceof CommandError) || error.exitCode !== exitCodes.noBroker)
      throw error;
    const why =
      error.cause instanceof NoBrokerError
        ? "no broker on this machine, no rabbitmq-server installed, no Docker"
        : error.message;
    say(
      `no RabbitMQ broker (${why}): running on the in-memory transport instead; for the broker version, apt-get install rabbitmq-server (npm run cluster then starts a private broker) or set RABBITMQ_URL`,
    );
    return null;
  }
}

/** Nodes beyond the layout the supervisor starts when the operator asks (`start`): VR's replica slots. */
function startableNodes(options: ClusterOptions): readonly string[] {
  return protocolOf(options).broker.startable?.(protocolConfig(options)) ?? [];
}

/** What every node process is started with: the protocol and all its settings, the debug and log flags. */
function nodeArguments(options: ClusterOptions): string[] {
  const args = protocolArguments(protocolOf(options), protocolConfig(options));
  if (options.debug) args.push("--debug");
  if (options.verbose) args.push("--verbose");
  return args;
}

function nodeLogDirectory(requested: string): string {
  if (requested === "") return mkdtempSync(path.join(os.tmpdir(), "pbkv-logs-"));
  return writableDirectory(requested, "--node-logs");
}

/** Two clusters of one name would share queues: refuse when the first node's queue (pb: the view server's) has a consumer. */
async function refuseIfRunning(
  connection: BrokerConnection,
  names: ClusterNames,
  first: string,
): Promise<void> {
  const consumers = await connection
    .withScratchChannel((channel) => channel.checkQueue(names.actorQueue(first)))
    .then((reply) => reply.consumerCount)
    .catch(() => 0); // no queue: not running
  if (consumers > 0) {
    throw new CommandError(
      `cluster "${names.cluster}" is already running on this broker; stop it first or pick another --cluster`,
    );
  }
}

/** Deletes the cluster's queues and exchanges; null (and a line saying so) when it could not. */
async function cleanUp(
  connection: BrokerConnection,
  names: ClusterNames,
  addresses: string[],
  say: (line: string) => void,
): Promise<DeletedTopology | null> {
  try {
    return await connection.withScratchChannel((channel) => deleteTopology(channel, names, addresses));
  } catch (error) {
    say(
      `could not delete every queue and exchange of "${names.cluster}": ${(error as Error).message}; try npm run cluster -- --cluster ${names.cluster} --purge`,
    );
    return null;
  }
}

function describeDeleted(deleted: DeletedTopology): string {
  return `${deleted.queues} queues and ${deleted.exchanges} exchanges`;
}

function describeExit(exit: ChildExit): string {
  const how = exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `process ${exit.pid ?? "?"} ${how}; ${exit.action === "restarting" ? exit.reason : `left dead: ${exit.reason}`}`;
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
