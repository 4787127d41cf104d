import type { ServerState } from "../protocols/pb/server.js";
import type { ViewServerState } from "../protocols/pb/viewServer.js";
import { executeOp } from "../kv/store.js";
import type { Op } from "../schemas/op.js";
import type { Envelope } from "../schemas/envelope.js";
import type { View } from "../schemas/view.js";
import { describeOp, describeView } from "../protocols/pb/describe.js";

// The safety properties the model checker holds the protocol to (issue 5 §2),
// as pure functions of actor states so that the search, the minimizer and the
// replayer share them. The engine calls them after each step.

export const invariantNames = [
  /** An actor's own assertion failed, or its handler threw. */
  "actor",
  /** A client saw a result no sequential order of the operations explains. */
  "linearizable",
  /** Two servers answered clients as primary in the same view. */
  "onePrimaryPerView",
  /** A backup holds an operation its primary does not know, or a different store. */
  "backupConsistent",
  /** The view server broke a rule of DESIGN §1 when it changed views. */
  "viewRules",
  /** A primary counted a ForwardAck from a process other than the backup that confirmed its transfer. */
  "pairedAcks",
  /** After the faults stopped, the goal could no longer be reached. */
  "liveness",
] as const;
export type InvariantName = (typeof invariantNames)[number];

export interface Violation {
  invariant: InvariantName;
  message: string;
}

/**
 * View rules, checked on every view the view server announces: numbers grow
 * by one, every view after 0 has a primary distinct from the backup, a new
 * number comes with a new primary or backup, and the primary of view i+1 was
 * primary or backup of view i.
 */
export function checkViewChange(previous: View, next: View): string | null {
  const change = `${describeView(previous)} -> ${describeView(next)}`;
  if (next.viewNum !== previous.viewNum + 1) return `view numbers must grow by one: ${change}`;
  if (next.primary === null) return `a view after view 0 needs a primary: ${change}`;
  if (next.primary === next.backup) return `primary and backup must differ: ${change}`;
  if (previous.viewNum > 0 && next.primary === previous.primary && next.backup === previous.backup)
    return `a view number is bumped only with a change of primary or backup: ${change}`;
  if (previous.viewNum > 0 && next.primary !== previous.primary && next.primary !== previous.backup)
    return `the primary of view ${next.viewNum} was neither primary nor backup of view ${previous.viewNum}: ${change}`;
  return null;
}

/**
 * The ack rule: the view server moves on from a view only once its primary
 * acknowledged it, except to replace a lost backup while the primary stays
 * the same process (DESIGN §1). `before` and `after` are the view server's
 * states around the change to `next`; `delivered` is the message the step
 * handled (the primary's acknowledging ping may be the one that allowed it).
 */
export function checkAckRule(
  before: ViewServerState,
  next: View,
  after: ViewServerState,
  delivered: Envelope | undefined,
): string | null {
  const previous = before.view;
  const ackedNow =
    delivered?.body.type === "Ping" &&
    delivered.from === previous.primary &&
    delivered.body.viewNum === previous.viewNum &&
    delivered.body.incarnation === before.primaryIncarnation;
  if (previous.viewNum === 0 || before.primaryAcked || ackedNow) return null;
  const backupReplaced =
    next.primary === previous.primary &&
    after.primaryIncarnation === before.primaryIncarnation &&
    previous.backup !== null &&
    next.backup !== previous.backup;
  if (backupReplaced) return null;
  return `view ${next.viewNum} follows view ${previous.viewNum} before its primary acknowledged it, and does not just replace its backup: ${describeView(previous)} -> ${describeView(next)}`;
}

/**
 * A primary counts acks only from the backup process that confirmed its state
 * transfer (DESIGN §4.1): a ForwardAck that made `before` apply operations
 * must carry that process's incarnation.
 */
export function checkAckSource(before: ServerState, after: ServerState, delivered: Envelope): string | null {
  if (delivered.body.type !== "ForwardAck" || before.role !== "primary") return null;
  const appliedBefore = before.app?.applied ?? 0;
  const appliedAfter = after.app?.applied ?? 0;
  if (appliedAfter <= appliedBefore || delivered.body.incarnation === before.backupIncarnation) return null;
  return `the primary of view ${before.view.viewNum} applied operations ${appliedBefore + 1}..${appliedAfter} on an ack from ${delivered.from} incarnation ${delivered.body.incarnation}, not the backup process that confirmed its transfer (incarnation ${before.backupIncarnation ?? "none"})`;
}

/** What each of one client's operations must return when no one else touches its keys. */
export function expectedResults(ops: readonly Op[]): string[] {
  const store = new Map<string, string>();
  return ops.map((op) => describeResult(executeOp(store, op)));
}

/** A result as the checker compares it: the value, or the refusal in parentheses. */
export function describeResult(result: { ok: true; value: string } | { ok: false; error: string }): string {
  return result.ok ? result.value : `(${result.error})`;
}

export function describeWrongResult(client: string, op: Op, value: string, expected: string): string {
  return `${client} ${describeOp(op)} returned ${JSON.stringify(value)} but the sequential order of its own completed operations implies ${JSON.stringify(expected)}`;
}
