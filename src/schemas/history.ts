// History events (DESIGN §7): one JSON object per line of a JSONL history.
// The simulator, the load generator and the checker all record and read
// histories through these definitions, so a history written by one is
// readable by the others.
import { z } from "zod";

/** `invoke` starts an op; exactly one of `ok` / `fail` / `info` ends it. */
export const historyEventTypeSchema = z.enum(["invoke", "ok", "fail", "info"]);

/** The operations of the application (DESIGN §1). */
export const historyFunctionSchema = z.enum(["get", "put", "append"]);

/**
 * One line of a history.
 * - `value`: on a put/append invoke, the argument; on a get's `ok`, what was read.
 * - `time`: integer nanoseconds from one monotonic clock; absent means line order is time.
 * Unknown extra fields are ignored (stripped), so richer recorders stay readable.
 */
export const historyEventSchema = z.object({
  type: historyEventTypeSchema,
  process: z.int().nonnegative(),
  f: historyFunctionSchema,
  key: z.string(),
  value: z.string().optional(),
  time: z.int().optional(),
});

export type HistoryEventType = z.infer<typeof historyEventTypeSchema>;
export type HistoryFunction = z.infer<typeof historyFunctionSchema>;
export type HistoryEvent = z.infer<typeof historyEventSchema>;

export type HistoryEventParse = { ok: true; event: HistoryEvent } | { ok: false; error: string };

/**
 * Validates one decoded JSON value as a history event. The error is zod's
 * readable form folded onto one line, so callers can prefix it with a line number.
 */
export function parseHistoryEvent(value: unknown): HistoryEventParse {
  const parsed = historyEventSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  const error = z
    .prettifyError(parsed.error)
    .split("\n")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(" ");
  return { ok: false, error };
}
