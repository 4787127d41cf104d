// Shared pieces of the broker commands (cluster, kv, fault, load, node):
// the common options, `--protocol` and the protocol's settings, broker
// discovery, and one way to fail.
import { accessSync, constants, mkdirSync } from "node:fs";
import path from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Logger } from "pino";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { configArguments, serverCount, ServerCountConflictError } from "../protocols/configOptions.js";
import { redactUrl } from "../broker/connection.js";
import { isClientUser } from "../security/principal.js";
import { type DiscoveredBroker, discoverBroker } from "../broker/discovery.js";
import { createLogger } from "../broker/logger.js";
import { type ClusterNames, clusterNames } from "../broker/topology.js";
import { CommandError, exitCodes } from "./exitCodes.js";
import { isServerAddress } from "../schemas/address.js";

export { addProtocolOption, positiveInt, type ProtocolChoice, protocolOf } from "./arguments.js";
export {
  addClientTimingOptions,
  addProtocolOptions,
  nonDefaultSettings,
  protocolConfig,
  type ProtocolOptions,
  refuseForeignSettings,
} from "./protocolSettings.js";

export { CommandError, exitCodes, quietOnBrokenPipe, usageExitCodes } from "./exitCodes.js";

export interface CommonOptions {
  cluster: string;
  url?: string;
  verbose: boolean;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option("--cluster <name>", "cluster name: the prefix of every queue and exchange", "pbkv")
    .addOption(
      new Option(
        "--url <amqp-url>",
        "AMQP URL of the broker (default: RABBITMQ_URL, then discovery)",
      ).argParser(amqpUrl),
    )
    .option("--verbose", "debug logs (pino JSON on stderr)", false);
}

/**
 * The server count of a command with `--servers`: the one the protocol's
 * configuration fixes (`config.servers`, VR's replicas) when it fixes one,
 * else `--servers` (its default included). An explicit `--servers` that
 * differs is a usage error naming both.
 */
export function serversOf(
  command: Command,
  protocol: AnyProtocol,
  config: ProtocolConfigBase,
  servers: number,
): number {
  const source = command.getOptionValueSource("servers");
  const given = source === undefined || source === "default" ? undefined : servers;
  try {
    return serverCount(protocol, config, given, servers);
  } catch (error) {
    if (error instanceof ServerCountConflictError) throw new CommandError(error.message, exitCodes.usage);
    throw error;
  }
}

/** The nodes of a cluster in one phrase, e.g. pb's "viewserver + 3 servers". */
export function describeLayout(protocol: AnyProtocol, servers: number): string {
  const nodes = protocol.layout(servers);
  const others = nodes.filter((node) => !isServerAddress(node.address)).map((node) => node.address);
  return [...others, `${nodes.length - others.length} servers`].join(" + ");
}

/** `--flag value` for each of the protocol's settings in `config`: what a node process is started with. */
export function protocolArguments(protocol: AnyProtocol, config: ProtocolConfigBase): string[] {
  return ["--protocol", protocol.name, ...configArguments(protocol, config)];
}

/** An amqp:// or amqps:// URL; anything else is a usage error, not a stack trace from the client library. */
export function amqpUrl(text: string): string {
  if (!URL.canParse(text) || !["amqp:", "amqps:"].includes(new URL(text).protocol)) {
    throw new InvalidArgumentError("expected an AMQP URL such as amqp://guest:guest@127.0.0.1:5672");
  }
  return text;
}

export function probability(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new InvalidArgumentError("expected a number in [0, 1]");
  return value;
}

export function namesOf(options: CommonOptions): ClusterNames {
  try {
    return clusterNames(options.cluster);
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.usage);
  }
}

export function loggerFor(options: CommonOptions, name: string): Logger {
  return createLogger({ verbose: options.verbose, name });
}

/** `--url`, then RABBITMQ_URL, then the local broker, then (cluster only) a container. */
export async function findBroker(
  options: CommonOptions,
  mayStart: boolean,
  say: (line: string) => void = () => {},
  /** A running secure cluster's access record (not for a command that starts a cluster). */
  useAccessRecord = !mayStart,
): Promise<DiscoveredBroker> {
  try {
    const broker = await discoverBroker({
      url: options.url,
      cluster: options.cluster,
      mayStart,
      useAccessRecord,
      onProgress: say,
    });
    if (options.verbose) say(`broker: ${redactUrl(broker.url)} (${broker.source})`);
    return broker;
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.noBroker, { cause: error });
  }
}

/**
 * Refuses a client user's URL for what only the cluster's operator may do
 * (fault commands, status, the event stream): its permissions would refuse
 * it anyway, later and less clearly (docs/SECURITY.md).
 */
export function requireOperator(cluster: string, user: string, what: string): void {
  if (!isClientUser(cluster, user)) return;
  throw new CommandError(
    `${what} needs the operator of "${cluster}": ${user} is a client user (get, put, append and view only); run it on the machine that started the cluster, or with the operator's URL`,
    exitCodes.usage,
  );
}

/**
 * Runs a command's body; a CommandError becomes one line on stderr and its
 * exit code. Only an unexpected error (a bug) prints its stack.
 */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? exitCodes.ok;
  } catch (error) {
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = exitCode;
  }
}

function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CommandError) return { message: error.message, exitCode: error.exitCode };
  if (
    error instanceof Error &&
    /^(BrokerConnectionError|ClusterNotRunningError|BrokerAdminError|AccessNotReadyError)$/.test(error.name)
  ) {
    return { message: error.message, exitCode: exitCodes.noBroker };
  }
  // A PBKV_TLS_* file that is missing or wrong: the user's to fix.
  if (error instanceof Error && error.name === "TlsConfigurationError") {
    return { message: error.message, exitCode: exitCodes.usage };
  }
  if (error instanceof Error && (error as NodeJS.ErrnoException).code === "ERR_INVALID_URL") {
    // From RABBITMQ_URL: the option is checked when parsed.
    const where = process.env["RABBITMQ_URL"] === undefined ? "the broker URL" : "RABBITMQ_URL";
    return { message: `${where} is not an AMQP URL (${error.message})`, exitCode: exitCodes.usage };
  }
  return { message: String((error as Error)?.stack ?? error), exitCode: exitCodes.internal };
}

/** Resolves on the first SIGINT or SIGTERM (a node process: its supervisor sends one SIGTERM). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
      resolve(signal);
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  });
}

/**
 * Makes `directory` (and its parents) and checks it is writable, before a
 * command spends minutes on work whose results go there; a path the user got
 * wrong is a usage error, not a stack trace at the end.
 */
export function writableDirectory(directory: string, option: string): string {
  const resolved = path.resolve(directory);
  try {
    mkdirSync(resolved, { recursive: true });
    accessSync(resolved, constants.W_OK);
  } catch (error) {
    throw new CommandError(
      `${option}: cannot write in ${resolved}: ${(error as Error).message}`,
      exitCodes.usage,
    );
  }
  return resolved;
}

/** `12:01:02.345`, local time, for lines printed as things happen. */
export function clockTime(at: number = Date.now()): string {
  const date = new Date(at);
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
