// Shared pieces of the broker commands (cluster, kv, fault, load, node):
// the common options, `--protocol` and the protocol's settings, broker
// discovery, and one way to fail.
import { accessSync, constants, mkdirSync } from "node:fs";
import path from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Logger } from "pino";
import type { AnyProtocol, ConfigOption, ProtocolConfigBase } from "../protocols/protocol.js";
import { configArguments, serverCount, ServerCountConflictError } from "../protocols/configOptions.js";
import { defaultProtocolName, protocolNamed, protocolNames } from "../protocols/registry.js";
import { redactUrl } from "../broker/connection.js";
import { type DiscoveredBroker, discoverBroker } from "../broker/discovery.js";
import { createLogger } from "../broker/logger.js";
import { type ClusterNames, clusterNames } from "../broker/topology.js";
import { addProtocolOption, type ProtocolChoice, protocolOf } from "./arguments.js";
import { CommandError, exitCodes } from "./exitCodes.js";
import { isServerAddress } from "../schemas/address.js";

export { addProtocolOption, type ProtocolChoice, protocolOf } from "./arguments.js";

export { CommandError, exitCodes, quietOnBrokenPipe, usageExitCodes } from "./exitCodes.js";

export interface CommonOptions {
  cluster: string;
  url?: string;
  verbose: boolean;
}

/**
 * What a command with `--protocol` and the protocol settings was parsed into:
 * each setting under its flag's attribute name (`--ping-ms` → pingMs),
 * undefined when not given (the protocol's default then).
 */
export interface ProtocolOptions extends ProtocolChoice {
  clientRetryMs: number;
  [setting: string]: unknown;
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

/** `--client-retry-ms`: every protocol's client has it (ProtocolConfigBase). */
function clientRetryOption(): Option {
  return new Option("--client-retry-ms <ms>", "clients resend after this long without an answer")
    .argParser(positiveInt)
    .default(protocolNamed(defaultProtocolName).config.defaults.clientRetryMs);
}

/**
 * `--protocol`, client timing and the settings clients must share with the
 * servers (`ConfigOption.clients`, e.g. pb's session expiry): kv, load, dashboard.
 */
export function addClientTimingOptions(command: Command): Command {
  addProtocolOption(command);
  addSettings(command, (setting) => setting.clients === true);
  return command.addOption(clientRetryOption());
}

/**
 * `--protocol` and every protocol setting (cluster, node, bench): the flags of
 * each registered protocol's `config.options`, each once, except those the
 * command defines itself, then `--client-retry-ms`. They have no commander
 * default: a setting not given is the chosen protocol's default, so a flag
 * means the same whichever protocol another one's defaults would say.
 */
export function addProtocolOptions(command: Command): Command {
  addProtocolOption(command);
  addSettings(command, () => true);
  return command.addOption(clientRetryOption());
}

/** The settings flags of every registered protocol that `wanted` picks, each once, except those the command has. */
function addSettings(command: Command, wanted: (setting: ConfigOption) => boolean): void {
  const defaults = protocolNamed(defaultProtocolName).config.defaults as unknown as Record<string, unknown>;
  for (const setting of everySetting()) {
    if (!wanted(setting) || command.options.some((option) => option.long === `--${setting.flag}`)) continue;
    const bounds = setting.max === undefined ? `≥ ${setting.min}` : `${setting.min}-${setting.max}`;
    const shownDefault =
      defaults[setting.field] === undefined ? "" : `; default ${String(defaults[setting.field])}`;
    const placeholder = setting.flag.endsWith("-ms") ? "<ms>" : "<n>";
    command.addOption(
      new Option(
        `--${setting.flag} ${placeholder}`,
        `${setting.description} (${bounds}${shownDefault})`,
      ).argParser(settingValue(setting)),
    );
  }
}

/**
 * The chosen protocol's configuration from the parsed options; a setting of
 * another protocol, or a bad combination, is a usage error.
 */
export function protocolConfig(options: ProtocolOptions): ProtocolConfigBase {
  const protocol = protocolOf(options);
  const own = new Set(protocol.config.options.map((setting) => setting.flag));
  const overrides: Record<string, unknown> = { clientRetryMs: options.clientRetryMs };
  for (const setting of everySetting()) {
    const value = options[attributeOf(setting.flag)];
    if (value === undefined) continue;
    if (!own.has(setting.flag))
      throw new CommandError(
        `--${setting.flag}: not a setting of protocol ${protocol.name}`,
        exitCodes.usage,
      );
    overrides[setting.field] = value;
  }
  try {
    return protocol.config.make(overrides as Partial<ProtocolConfigBase>);
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.usage);
  }
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

/** Every registered protocol's settings, each flag once (the first protocol to name it describes it). */
function everySetting(): ConfigOption[] {
  const byFlag = new Map<string, ConfigOption>();
  for (const name of protocolNames())
    for (const setting of protocolNamed(name).config.options)
      if (!byFlag.has(setting.flag)) byFlag.set(setting.flag, setting);
  return [...byFlag.values()];
}

/** The options' key commander stores a flag's value under (`forward-window` → forwardWindow). */
function attributeOf(flag: string): string {
  return new Option(`--${flag} <n>`).attributeName();
}

function settingValue(setting: ConfigOption): (text: string) => number {
  return (text) => {
    const value = Number(text);
    const tooBig = setting.max !== undefined && value > setting.max;
    if (!Number.isSafeInteger(value) || value < setting.min || tooBig) {
      const bounds = setting.max === undefined ? `≥ ${setting.min}` : `${setting.min}-${setting.max}`;
      throw new InvalidArgumentError(`expected a whole number ${bounds}`);
    }
    return value;
  };
}

/** An amqp:// or amqps:// URL; anything else is a usage error, not a stack trace from the client library. */
export function amqpUrl(text: string): string {
  if (!URL.canParse(text) || !["amqp:", "amqps:"].includes(new URL(text).protocol)) {
    throw new InvalidArgumentError("expected an AMQP URL such as amqp://guest:guest@127.0.0.1:5672");
  }
  return text;
}

export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidArgumentError("expected a positive integer");
  return value;
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
): Promise<DiscoveredBroker> {
  try {
    const broker = await discoverBroker({
      url: options.url,
      cluster: options.cluster,
      mayStart,
      onProgress: say,
    });
    if (options.verbose) say(`broker: ${redactUrl(broker.url)} (${broker.source})`);
    return broker;
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.noBroker, { cause: error });
  }
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
  if (error instanceof Error && /BrokerConnectionError|ClusterNotRunningError/.test(error.name)) {
    return { message: error.message, exitCode: exitCodes.noBroker };
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
