// Argument parsers shared by the commands that need no broker (sim, search):
// they stay light, without common.ts and what it imports. Each throws
// commander's InvalidArgumentError, which the command turns into exit code 2.
// `--protocol` lives here for the same reason; common.ts re-exports it for
// the broker commands.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { AnyProtocol } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed, protocolNames } from "../protocols/registry.js";

/** A whole number ≥ 0; `name` is the option, for the message. */
export function wholeNumber(name: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0)
      throw new InvalidArgumentError(`${name} must be a whole number ≥ 0`);
    return value;
  };
}

export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidArgumentError("expected a positive integer");
  return value;
}

/** What a command given `--protocol` was parsed into. */
export interface ProtocolChoice {
  protocol: string;
}

/** `--protocol NAME`: the replication protocol to run (default pb; the choices are the registry's). */
export function addProtocolOption(command: Command): Command {
  return command.addOption(
    new Option("--protocol <name>", "the replication protocol")
      .choices(protocolNames())
      .default(defaultProtocolName),
  );
}

/** The protocol `--protocol` named (commander already refused any other name). */
export function protocolOf(options: ProtocolChoice): AnyProtocol {
  return protocolNamed(options.protocol);
}

/**
 * One of the planted bugs of any registered protocol, by name. Which protocol
 * is not known while options are parsed: `checkMutants` checks the names
 * against the chosen one afterwards.
 */
export function mutant(text: string): string {
  const names = everyMutation();
  if (!names.includes(text)) throw new InvalidArgumentError(`unknown mutant; one of: ${names.join(", ")}`);
  return text;
}

/** Throws InvalidArgumentError when a name is not a planted bug of `protocol`. */
export function checkMutants(protocol: AnyProtocol, names: readonly string[]): void {
  const unknown = names.filter((name) => !protocol.config.mutations.includes(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `${unknown.join(", ")}: not a mutant of ${protocol.name}; one of: ${protocol.config.mutations.join(", ")}`,
    );
  }
}

function everyMutation(): string[] {
  return [...new Set(protocolNames().flatMap((name) => protocolNamed(name).config.mutations))];
}
