// Argument parsers shared by the commands that need no broker (sim, search):
// they stay light, without common.ts and what it imports. Each throws
// commander's InvalidArgumentError, which the command turns into exit code 2.
import { InvalidArgumentError } from "commander";
import { type Mutation, mutationNames } from "../protocols/pb/config.js";

/** A whole number ≥ 0; `name` is the option, for the message. */
export function wholeNumber(name: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0)
      throw new InvalidArgumentError(`${name} must be a whole number ≥ 0`);
    return value;
  };
}

/** One of the planted bugs of src/protocols/pb/config.ts, by name. */
export function mutant(text: string): Mutation {
  const found = mutationNames.find((name) => name === text);
  if (found === undefined)
    throw new InvalidArgumentError(`unknown mutant; one of: ${mutationNames.join(", ")}`);
  return found;
}
