// The console's command language (`--transport memory`): the same commands
// as `npm run kv` and `npm run fault`, one per line. Parsing is pure and
// total: every line becomes a command or a one-line reason, never a throw.
import type { z } from "zod";
import { ControlCommand } from "../schemas/control.js";
import { keyLengthMax, valueBytesMax } from "../schemas/limits.js";
import { Key, type Op, Value, valueTooLargeReason } from "../schemas/op.js";
import { type ShellWord, splitShellWords } from "./shellWords.js";

export type ConsoleCommand =
  | { kind: "op"; op: Op }
  | { kind: "view" }
  | { kind: "control"; command: ControlCommand }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "empty" };

export type ParsedLine = { ok: true; command: ConsoleCommand } | { ok: false; error: string };

export const commandHelp = [
  'get K                     read a key (a missing key reads as "")',
  'put K V                   set a key (V is the rest of the line; quote like a shell: put "a b" "c d")',
  "append K V                append to a key",
  "view                      the current view (with its replicas and status where the protocol has them)",
  "crash S · restart S       crash a node (state and timers dropped) or start it afresh",
  "partition a,b c           split the network into groups; a node in no group reaches all",
  "heal                      end the partition",
  "net [--drop P] [--duplicate P] [--delay LO-HI]   loss, duplication, delay (ms) on every link",
  "reset                     no partition, a clean network, crashed nodes restarted",
  "help · quit               this list · stop everything (so do Ctrl-C and end of input)",
];

/** Most characters in one console line (a value of valueBytesMax plus the command). */
export const lineLengthMax = valueBytesMax + 2 * 1024;

export function parseLine(line: string): ParsedLine {
  if (line.length > lineLengthMax)
    return failure(`line too long (${line.length} > ${lineLengthMax} characters)`);
  const text = line.trim();
  if (text === "" || text.startsWith("#")) return success({ kind: "empty" });
  const split = splitShellWords(text);
  if (!split.ok) return failure(split.error);
  const words = split.words.map((word) => word.text);
  const name = words[0] ?? "";
  const args = words.slice(1);
  switch (name) {
    case "get":
      if (args.length !== 1) return usage("get K");
      return checked(Key, args[0], "key", (key) => ({ kind: "op", op: { f: "get", key } }));
    case "put":
    case "append":
      return parseWrite(name, text, split.words);
    case "view":
    case "heal":
    case "reset":
    case "help":
    case "quit":
    case "exit":
      if (args.length !== 0) return usage(name);
      if (name === "heal" || name === "reset") return control({ type: name });
      return success({ kind: name === "exit" ? "quit" : name });
    case "crash":
    case "restart":
      if (args.length !== 1) return usage(`${name} S`);
      return control({ type: name, node: args[0] });
    case "partition":
      if (args.length === 0) return usage("partition a,b c");
      return control({ type: "partition", groups: args.map((group) => group.split(",")) });
    case "net":
      return parseNet(args);
    default:
      return failure(`unknown command ${JSON.stringify(name)}; type help`);
  }
}

function parseWrite(name: "put" | "append", text: string, words: ShellWord[]): ParsedLine {
  const [, key, ...rest] = words;
  const first = rest[0];
  if (key === undefined || first === undefined) return usage(`${name} K V`);
  // Unquoted, the value is the rest of the line, spaces as typed; quoted, the words as a shell reads them.
  const value = rest.some((word) => word.quoted)
    ? rest.map((word) => word.text).join(" ")
    : text.slice(first.start);
  return checked(Key, key.text, "key", (checkedKey) =>
    checked(Value, value, "value", (checkedValue) => ({
      kind: "op",
      op: { f: name, key: checkedKey, value: checkedValue },
    })),
  );
}

function parseNet(args: string[]): ParsedLine {
  const settings = { drop: 0, duplicate: 0, delayMs: [0, 0] };
  for (let index = 0; index < args.length; index += 2) {
    const flag = args[index];
    const value = args[index + 1];
    if (value === undefined)
      return failure(`${flag} needs a value; usage: net [--drop P] [--duplicate P] [--delay LO-HI]`);
    if (flag === "--drop" || flag === "--duplicate") {
      const probability = Number(value);
      if (value.trim() === "" || !Number.isFinite(probability))
        return failure(`${flag} expects a number in [0, 1], not ${JSON.stringify(value)}`);
      settings[flag === "--drop" ? "drop" : "duplicate"] = probability;
    } else if (flag === "--delay") {
      const range = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(value);
      if (range === null)
        return failure(`--delay expects LO-HI milliseconds (e.g. 0-50), not ${JSON.stringify(value)}`);
      const low = Number(range[1]);
      settings.delayMs = [low, range[2] === undefined ? low : Number(range[2])];
    } else {
      return failure(
        `unknown option ${JSON.stringify(flag)}; usage: net [--drop P] [--duplicate P] [--delay LO-HI]`,
      );
    }
  }
  return control({ type: "net", ...settings });
}

/** Validates a control command with the broker's schema, so both transports accept the same ones. */
function control(candidate: { type: ControlCommand["type"] } & Record<string, unknown>): ParsedLine {
  const parsed = ControlCommand.safeParse(candidate);
  if (!parsed.success) {
    return failure(`invalid ${candidate.type} command: ${firstIssue(parsed.error)}`);
  }
  return success({ kind: "control", command: parsed.data });
}

function checked<T>(
  schema: z.ZodType<T>,
  input: string | undefined,
  what: string,
  build: (value: T) => ConsoleCommand | ParsedLine,
): ParsedLine {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    if (what === "key" && input !== undefined && input.length > keyLengthMax) {
      return failure(
        `the key is ${formatCount(input.length)} characters long; the limit is ${formatCount(keyLengthMax)}`,
      );
    }
    const tooLarge = what === "value" && input !== undefined ? valueTooLargeReason(input) : null;
    if (tooLarge !== null) return failure(`invalid value: ${tooLarge}`);
    return failure(`invalid ${what}: ${firstIssue(parsed.error)}`);
  }
  const built = build(parsed.data);
  return "ok" in built ? built : success(built);
}

/** One line from zod's issues: the first one, with where it was. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid input";
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`;
}

function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

function usage(form: string): ParsedLine {
  return failure(`usage: ${form}`);
}

function success(command: ConsoleCommand): ParsedLine {
  return { ok: true, command };
}

function failure(error: string): ParsedLine {
  return { ok: false, error };
}
