// A protocol's settings on command lines: `--protocol` and the flags made
// from each registered protocol's `config.options` (DESIGN §6), read back into
// the chosen protocol's configuration. Light, like arguments.ts: the commands
// without a broker (sim) use it too; common.ts re-exports it.
import { type Command, InvalidArgumentError, Option } from "commander";
import { configNumber } from "../protocols/configOptions.js";
import type { AnyProtocol, ConfigOption, ProtocolConfigBase } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed, protocolNames } from "../protocols/registry.js";
import { addProtocolOption, positiveInt, type ProtocolChoice, protocolOf } from "./arguments.js";
import { CommandError, exitCodes } from "./exitCodes.js";

/**
 * What a command with `--protocol` and the protocol settings was parsed into:
 * each setting under its flag's attribute name (`--ping-ms` → pingMs),
 * undefined when not given (the protocol's default then).
 */
export interface ProtocolOptions extends ProtocolChoice {
  clientRetryMs: number;
  [setting: string]: unknown;
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
 * `--protocol` and every protocol setting (cluster, node, bench, sim, chaos): the flags of
 * each registered protocol's `config.options`, each once, except those the
 * command defines itself, then `--client-retry-ms`. They have no commander
 * default: a setting not given is the chosen protocol's default, so a flag
 * means the same whichever protocol another one's defaults would say.
 */
export function addProtocolOptions(command: Command): Command {
  addProtocolOption(command);
  addSettings(command, () => true);
  // chaos defines its own, looser default.
  if (command.options.some((option) => option.long === "--client-retry-ms")) return command;
  return command.addOption(clientRetryOption());
}

/**
 * For a command that defines some settings itself with defaults of its own
 * (chaos: pb's `--ping-ms` looser than pb's): a setting of another protocol
 * given on the command line is a usage error, as `protocolConfig` says; a
 * command's own default for one is not.
 */
export function refuseForeignSettings(command: Command, protocol: AnyProtocol): void {
  const own = new Set(protocol.config.options.map((setting) => setting.flag));
  for (const setting of everySetting()) {
    if (own.has(setting.flag) || command.getOptionValueSource(attributeOf(setting.flag)) !== "cli") continue;
    throw new CommandError(`--${setting.flag}: not a setting of protocol ${protocol.name}`, exitCodes.usage);
  }
}

/** `--flag value` for each of the protocol's settings whose value in `config` is not its default: a replay's flags. */
export function nonDefaultSettings(protocol: AnyProtocol, config: ProtocolConfigBase): string[] {
  const defaults = protocol.config.defaults;
  const flags: string[] = [];
  if (config.clientRetryMs !== defaults.clientRetryMs)
    flags.push("--client-retry-ms", String(config.clientRetryMs));
  for (const setting of protocol.config.options) {
    const value = configNumber(config, setting.field);
    if (value !== configNumber(defaults, setting.field)) flags.push(`--${setting.flag}`, String(value));
  }
  return flags;
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
