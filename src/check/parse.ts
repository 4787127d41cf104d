// Reading JSONL histories (DESIGN §7) into typed events, with the line of each.
import { forEachFileLine } from "./jsonl.js";
import { parseHistoryEvent, type HistoryEvent } from "../schemas/history.js";
import { HistoryFileError, HistoryFormatError } from "./errors.js";
import { prepareHistory } from "./prepare.js";

/** Events of a history and, for each, its 1-based line in the text (blank lines are skipped). */
export interface ParsedHistory {
  events: HistoryEvent[];
  lines: number[];
}

/**
 * Parses and validates a JSONL history. Throws `HistoryFormatError` naming the
 * first bad line: invalid JSON, a field zod rejects, or an impossible sequence
 * (completion without invoke, mismatched completion, two outstanding ops…).
 */
export function parseHistoryText(text: string): ParsedHistory {
  const parser = new HistoryLineParser();
  text.split(/\r?\n/).forEach((textLine, index) => parser.add(textLine, index + 1));
  return parser.finish();
}

/** Reads and parses a history file a line at a time; `HistoryFileError` when it cannot be read. */
export function readHistoryFile(path: string): ParsedHistory {
  const parser = new HistoryLineParser();
  try {
    forEachFileLine(path, (textLine, line) => parser.add(textLine, line));
  } catch (error) {
    if (error instanceof HistoryFormatError) throw error;
    throw new HistoryFileError(path, describeFileError(error), { cause: error });
  }
  return parser.finish();
}

/** Parses lines one by one, keeping each event's line number for reports. */
class HistoryLineParser {
  private readonly events: HistoryEvent[] = [];
  private readonly lines: number[] = [];

  add(textLine: string, line: number): void {
    // A byte-order mark may start the file.
    const text = line === 1 ? textLine.replace(/^\uFEFF/, "") : textLine;
    if (text.trim() === "") return;
    let decoded: unknown;
    try {
      decoded = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new HistoryFormatError(line, `invalid JSON: ${detail}`, { cause: error });
    }
    const parsed = parseHistoryEvent(decoded);
    if (!parsed.ok) throw new HistoryFormatError(line, parsed.error);
    this.events.push(parsed.event);
    this.lines.push(line);
  }

  finish(): ParsedHistory {
    // Pairing errors are reported at parse time too, so a reader of a file
    // learns everything wrong with it before any search starts.
    prepareHistory(this.events, this.lines);
    return { events: this.events, lines: this.lines };
  }
}

function describeFileError(error: unknown): string {
  const code = error instanceof Error && "code" in error ? error.code : undefined;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory, not a history file";
    case "EACCES":
      return "permission denied";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
