// One error class per failure, so the CLI can map each to its exit code.

/**
 * The history cannot be read: a malformed line or an impossible sequence of
 * events. `line` is the 1-based line of the JSONL file, or, for events handed
 * over in memory without line numbers, the 1-based position of the event
 * (which is its line in `HistoryRecorder.toJsonl()`).
 */
export class HistoryFormatError extends Error {
  override readonly name = "HistoryFormatError";

  constructor(
    readonly line: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`line ${line}: ${reason}`, options);
  }
}

/** The history file itself cannot be opened or read. */
export class HistoryFileError extends Error {
  override readonly name = "HistoryFileError";

  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}
