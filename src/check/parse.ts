// Reading JSONL histories (DESIGN §7) into typed events, with the line of each.
import { readFileSync } from "node:fs";
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
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  const textLines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let index = 0; index < textLines.length; index++) {
    const textLine = textLines[index] ?? "";
    if (textLine.trim() === "") continue;
    const line = index + 1;
    let decoded: unknown;
    try {
      decoded = JSON.parse(textLine);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new HistoryFormatError(line, `invalid JSON: ${detail}`, { cause: error });
    }
    const parsed = parseHistoryEvent(decoded);
    if (!parsed.ok) throw new HistoryFormatError(line, parsed.error);
    events.push(parsed.event);
    lines.push(line);
  }
  // Pairing errors are reported at parse time too, so a reader of a file
  // learns everything wrong with it before any search starts.
  prepareHistory(events, lines);
  return { events, lines };
}

/** Reads and parses a history file; `HistoryFileError` when it cannot be read. */
export function readHistoryFile(path: string): ParsedHistory {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new HistoryFileError(path, describeFileError(error), { cause: error });
  }
  return parseHistoryText(text);
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
