// `npm run check -- FILE`: the linearizability verdict for a recorded history.
// Exit codes (DESIGN §7): 0 linearizable, 1 not, 2 unreadable input, 3 gave up.
import { readFileSync, writeFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import {
  checkHistory,
  formatCheckResult,
  HistoryFileError,
  HistoryFormatError,
  parseHistoryText,
  readHistoryFile,
  renderHtml,
  type CheckResult,
  type ParsedHistory,
} from "../check/index.js";
import { addProtocolOption } from "./arguments.js";
import { quietOnBrokenPipe } from "./exitCodes.js";

/** The README's convention (src/cli/exitCodes.ts) in the checker's words. */
const exitCodes = { ok: 0, violation: 1, unreadable: 2, unknown: 3, internal: 70 } as const;

interface CheckCliOptions {
  budget?: number;
  json?: boolean;
  html?: string;
}

function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError("expected a number of seconds, 0 or more");
  }
  return seconds;
}

function buildProgram(): Command {
  // Histories are the same for every protocol (DESIGN §7): `--protocol` is accepted, like on every command, and changes nothing.
  return addProtocolOption(new Command())
    .name("npm run check --")
    .description(
      "Judge whether a recorded history (JSONL, one event per line, DESIGN §7) is linearizable " +
        'for a string register per key with get / put / append (a missing key reads "").',
    )
    .argument("<file>", 'history file, or "-" for standard input')
    .option(
      "--budget <seconds>",
      "give up after this many seconds (exit 3, never reported as linearizable)",
      parseSeconds,
    )
    .option("--json", "print the verdict as one JSON object")
    .option("--html <file>", "also write a self-contained HTML time line of each key (and of the violation)")
    .addHelpText(
      "after",
      [
        "",
        "Exit codes:",
        "  0  linearizable",
        "  1  not linearizable: prints the key, the longest partial linearization and the ops that cannot come next",
        "  2  unreadable input (or no operations at all): prints the line and the reason",
        "  3  gave up (budget) — never reported as linearizable",
        "  70 internal error (a bug in the checker)",
        "",
        "Examples:",
        "  npm run check -- ../shared/histories/porcupine-kv-c50-ok.jsonl",
        "  npm run check -- history.jsonl --budget 10 --json --html history.html",
      ].join("\n"),
    )
    .exitOverride();
}

function readInput(file: string): ParsedHistory {
  if (file === "-") return parseHistoryText(readFileSync(0, "utf8"));
  return readHistoryFile(file);
}

function exitCodeOf(result: CheckResult): number {
  return exitCodes[result.result];
}

function main(argv: readonly string[]): number {
  const program = buildProgram();
  try {
    program.parse(argv, { from: "node" });
  } catch (error) {
    // Commander has printed the message or the help; a usage error is unreadable input, not a verdict.
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.unreadable;
    throw error;
  }
  const options = program.opts<CheckCliOptions>();
  const file = program.args[0] ?? "-";
  let parsed: ParsedHistory;
  try {
    parsed = readInput(file);
  } catch (error) {
    if (!(error instanceof HistoryFormatError || error instanceof HistoryFileError)) throw error;
    const label = file === "-" ? "<stdin>" : file;
    const message = error instanceof HistoryFormatError ? `${label}: ${error.message}` : error.message;
    process.stderr.write(`check: ${message}\n`);
    if (options.json) process.stdout.write(JSON.stringify({ result: "error", error: message }) + "\n");
    return exitCodes.unreadable;
  }
  if (parsed.events.length === 0) {
    // "linearizable: 0 ops" read as a verdict on a history that is not there (a wrong file, an interrupted writer).
    const message = `${file === "-" ? "<stdin>" : file}: no operations (an empty history): nothing to check`;
    process.stderr.write(`check: ${message}\n`);
    if (options.json) process.stdout.write(JSON.stringify({ result: "error", error: message }) + "\n");
    return exitCodes.unreadable;
  }
  const budgetMs = options.budget === undefined ? undefined : options.budget * 1000;
  const result = checkHistory(parsed.events, {
    lines: parsed.lines,
    ...(budgetMs === undefined ? {} : { budgetMs }),
  });
  process.stdout.write((options.json ? JSON.stringify(result) : formatCheckResult(result)) + "\n");
  if (options.html !== undefined) {
    try {
      const title = file === "-" ? "<stdin>" : file;
      writeFileSync(options.html, renderHtml(parsed.events, result, { lines: parsed.lines, title }));
    } catch (error) {
      process.stderr.write(
        `check: cannot write ${options.html}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return exitCodes.unreadable;
    }
  }
  return exitCodeOf(result);
}

// exitCode rather than exit(): lets a long JSON verdict finish writing to a pipe.
// A crash must not exit 1, which means "not linearizable".
try {
  quietOnBrokenPipe();
  process.exitCode = main(process.argv);
} catch (error) {
  process.stderr.write(
    `check: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = exitCodes.internal;
}
