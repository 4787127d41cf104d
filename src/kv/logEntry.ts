import { z } from "zod";
import { Address } from "../schemas/address.js";
import { describeOp, Op } from "../schemas/op.js";
import type { LogEntry } from "./atMostOnce.js";

// A log entry as it travels (pb's Forward, VR's Prepare, DoViewChange,
// StartView and NewState): the application's input (atMostOnce.ts), checked
// at the boundary with one schema, and its one text form.

/** A session id: the log position of the entry that opened it. */
export const SessionId = z.int().min(1);
/** A time the primary stamped (its clock, milliseconds). */
export const StampMs = z.number().finite();

/**
 * A client operation, a session opened, or idle sessions forgotten. `atMs`
 * is the primary's clock when it logged the entry, never earlier than the
 * entry before: every replica measures session expiry by these stamps only.
 */
export const LogEntrySchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("op"),
    client: Address,
    session: SessionId,
    seq: z.int().min(1),
    op: Op,
    atMs: StampMs,
  }),
  z.object({ type: z.literal("register"), client: Address, seq: z.int().min(1), atMs: StampMs }),
  z.object({ type: z.literal("expire"), beforeMs: StampMs, atMs: StampMs }),
]) satisfies z.ZodType<LogEntry>; // the wire's entry is the application's log entry

/** One line for an entry in logs, traces and counterexamples; times are the primary's stamps. */
export function describeLogEntry(entry: LogEntry): string {
  switch (entry.type) {
    case "op":
      return `${entry.client}#${entry.seq} ${describeOp(entry.op)}`;
    case "register":
      return `${entry.client}#${entry.seq} register`;
    case "expire":
      return `expire sessions idle since ${entry.beforeMs} ms`;
  }
}
