import { assert } from "../actors/assert.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import { type Op, valueTooLargeReason } from "../schemas/op.js";

// What every protocol's client does around one operation (DESIGN §1, §4.1):
// one outstanding operation, numbered for the at-most-once layer, in a
// session it opens again after half the expiry without an answer; and how it
// reports the outcome. Where to send it is the protocol's.

/** The part of a client's state this file keeps. */
export interface ClientSession {
  /** The number of the latest operation invoked. */
  seq: number;
  current: { seq: number; op: Op } | null;
  /** The session the servers opened for this client; null before the first and after SessionExpired. */
  session: number | null;
  /** When this client last had an answer in its session (its own clock). */
  sessionHeardMs: number;
}

interface Reporter {
  now(): number;
  emit(event: ActorEvent): void;
}

/**
 * Take `op` as the client's next operation: true when it is to be sent. A
 * value over the limit is refused before anything is sent (no server would
 * accept the message). A client idle for half the expiry opens its session
 * again first: the servers may forget it before the request lands.
 */
export function beginOperation(
  state: ClientSession,
  op: Op,
  ctx: Reporter,
  sessionExpiryMs: number,
): boolean {
  assert(state.current === null, "a client has one outstanding operation");
  state.seq += 1;
  if (op.f !== "get" && valueTooLargeReason(op.value) !== null) {
    ctx.emit({ type: "result", seq: state.seq, op, value: "", error: "ValueTooLarge" });
    return false;
  }
  state.current = { seq: state.seq, op };
  if (ctx.now() - state.sessionHeardMs >= sessionExpiryMs / 2) state.session = null;
  return true;
}

/**
 * The outstanding operation ended: its value, or `ValueTooLarge` (refused,
 * nothing changed) or `SessionExpired` (unknown: not run now, but an attempt
 * before the session was forgotten may have run; the next operation opens a
 * new session).
 */
export function finishOperation(
  state: ClientSession,
  ctx: Reporter,
  value: string,
  error?: "ValueTooLarge" | "SessionExpired",
): void {
  const current = state.current;
  assert(current !== null, "an answer finishes the outstanding operation");
  state.current = null;
  if (error === "SessionExpired") state.session = null;
  else state.sessionHeardMs = ctx.now();
  ctx.emit({
    type: "result",
    seq: current.seq,
    op: current.op,
    value,
    ...(error === undefined ? {} : { error }),
  });
}
