import type { ActorEvent } from "../../schemas/actorEvents.js";
import type { Address } from "../../schemas/address.js";
import type { View } from "../../schemas/view.js";
import type { SimObserver } from "../simSupport.js";
import type { ServerState } from "./server.js";
import type { ViewServerState } from "./viewServer.js";

// The one way a run may stop serving by design (DESIGN §4.1): the primary the
// view server named for its current view was lost before it acknowledged that
// view. The view server then waits for an acknowledgement nobody can send: it
// never promotes a backup that may not hold the state. This file decides
// that from the run's role log, not from what the actors believe: the
// simulator's observer (SimObserver) writes the log as the run goes.

/** What the observer records about roles and lives, in order. */
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

/** Keeps the role log of one simulated run: views named, acknowledgements, server crashes. */
export class RoleLogObserver implements SimObserver {
  readonly log: RoleEvent[] = [];
  private ackLoggedViewNum = 0;

  afterEvent(_address: Address, role: string, state: unknown, nowMs: number): void {
    if (role !== "viewserver") return;
    const viewServer = state as ViewServerState;
    const viewNum = viewServer.view.viewNum;
    if (!viewServer.primaryAcked || viewNum === this.ackLoggedViewNum) return;
    this.ackLoggedViewNum = viewNum;
    this.log.push({ type: "ack", atMs: nowMs, viewNum });
  }

  onEmit(_address: Address, role: string, state: unknown, event: ActorEvent, nowMs: number): void {
    if (event.type !== "viewChanged" || role !== "viewserver") return;
    // changeView names the primary's process before it emits.
    const { primaryIncarnation } = state as ViewServerState;
    this.log.push({ type: "view", atMs: nowMs, view: { ...event.view }, primaryIncarnation });
  }

  onCrash(address: Address, role: string, state: unknown, nowMs: number): void {
    if (role !== "server") return;
    const { incarnation } = state as ServerState;
    this.log.push({ type: "crash", atMs: nowMs, address, incarnation });
  }

  stuckByDesign(): string | null {
    return stuckByDesignReason(this.log);
  }
}
