import type { Envelope } from "../../../schemas/envelope.js";
import { describeView, type View } from "../../../schemas/view.js";
import type { SearchStep, StepRule } from "../../searchSupport.js";
import type { MessageBody } from "../messages.js";
import type { ServerState } from "../server.js";
import type { ViewServerState } from "../viewServer.js";

// The rules pb's steps keep (DESIGN §1, §4.1), checked by the model checker on
// every step: how the view server may change views, and whose acks a primary
// may count. Cluster invariants (../invariants.ts) say what every state holds;
// these say how a state may follow another.

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
  const body = delivered?.body as MessageBody | undefined;
  const ackedNow =
    body?.type === "Ping" &&
    delivered!.from === previous.primary &&
    body.viewNum === previous.viewNum &&
    body.incarnation === before.primaryIncarnation;
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
  const body = delivered.body as MessageBody;
  if (body.type !== "ForwardAck" || before.role !== "primary") return null;
  const appliedBefore = before.app?.applied ?? 0;
  const appliedAfter = after.app?.applied ?? 0;
  if (appliedAfter <= appliedBefore || body.incarnation === before.backupIncarnation) return null;
  return `the primary of view ${before.view.viewNum} applied operations ${appliedBefore + 1}..${appliedAfter} on an ack from ${delivered.from} incarnation ${body.incarnation}, not the backup process that confirmed its transfer (incarnation ${before.backupIncarnation ?? "none"})`;
}

/** The view server broke a rule of DESIGN §1 when it changed views (each view it announces in the step). */
export const viewRules: StepRule = {
  name: "viewRules",
  roles: ["viewserver"],
  check(step: SearchStep): string | null {
    if (step.role !== "viewserver" || step.before === null) return null;
    const before = step.before as ViewServerState;
    let viewBefore: View = before.view;
    for (const event of step.events) {
      if (event.type !== "viewChanged") continue;
      // The ack rule is checked against the state the step started from: its first change.
      const firstChange = viewBefore === before.view;
      const broken =
        checkViewChange(viewBefore, event.view) ??
        (firstChange
          ? checkAckRule(before, event.view, step.after as ViewServerState, step.delivered)
          : null);
      if (broken !== null) return broken;
      viewBefore = event.view;
    }
    return null;
  },
};

/** A primary counted a ForwardAck from a process other than the backup that confirmed its transfer. */
export const pairedAcks: StepRule = {
  name: "pairedAcks",
  roles: ["server"],
  check(step: SearchStep): string | null {
    if (step.role !== "server" || step.delivered === undefined || step.before === null || step.after === null)
      return null;
    return checkAckSource(step.before as ServerState, step.after as ServerState, step.delivered);
  },
};
