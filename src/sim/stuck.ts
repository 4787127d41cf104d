import type { Address } from "../schemas/address.js";
import type { View } from "../schemas/view.js";

// The one way a run may stop serving by design (DESIGN §4.1): the primary the
// view server named for its current view was lost before it acknowledged that
// view. The view server then waits for an acknowledgement nobody can send: it
// never promotes a backup that may not hold the state. This file decides
// that from the run's role log, not from what the actors believe.

/** What the simulator records about roles and lives, in order. */
export type RoleEvent =
  /** The view server moved to `view`, naming the primary's process by incarnation. */
  | { type: "view"; atMs: number; view: View; primaryIncarnation: number | null }
  /** The view server recorded the primary's acknowledgement of view `viewNum`. */
  | { type: "ack"; atMs: number; viewNum: number }
  /** A server process crashed. */
  | { type: "crash"; atMs: number; address: Address; incarnation: number };

/**
 * The reason the run is stuck by design, or null when it is not: the last
 * view was never acknowledged, and the process named its primary crashed
 * (before or after the view named it: an unnoticed crash counts too).
 */
export function stuckByDesignReason(log: readonly RoleEvent[]): string | null {
  let last: Extract<RoleEvent, { type: "view" }> | null = null;
  for (const event of log) if (event.type === "view") last = event;
  if (last === null || last.view.primary === null || last.primaryIncarnation === null) return null;
  const { viewNum, primary } = last.view;
  const acked = log.some((event) => event.type === "ack" && event.viewNum === viewNum);
  if (acked) return null;
  const crash = log.find(
    (event) =>
      event.type === "crash" && event.address === primary && event.incarnation === last.primaryIncarnation,
  );
  if (crash === undefined) return null;
  const when = crash.atMs < last.atMs ? "before the view named it (unnoticed)" : "before acknowledging it";
  return `view ${viewNum} (${primary}, ${last.view.backup ?? "-"}), named at ${last.atMs.toFixed(1)} ms, was never acknowledged: its primary ${primary} (incarnation ${last.primaryIncarnation}) crashed at ${crash.atMs.toFixed(1)} ms, ${when}`;
}
