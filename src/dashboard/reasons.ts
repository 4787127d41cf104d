// Why did the view change? The view server does not say, so the dashboard
// infers it from what happened to the members of the old view since it was
// made: a crash fault, a restart, a process that stopped, a partition or
// loss that silenced its pings, or plain silence. Pure.
import { canReach, type FaultSettings, settingsFor } from "../broker/faults.js";
import { type Address, viewServerAddress } from "../schemas/address.js";
import type { View } from "../schemas/view.js";

/** Something that happened to one node, as the events told it. */
export interface Incident {
  at: number;
  node: Address;
  kind: "crashed" | "failed" | "restarted" | "process restarted" | "stopped";
  detail?: string | undefined;
}

/** Incidents this long before the previous view still count (events race the view server's). */
export const incidentSlackMs = 1_000;

export interface ExplainContext {
  /** Epoch ms of the previous view (null: none seen). */
  previousAt: number | null;
  incidents: readonly Incident[];
  faults: FaultSettings;
}

export function explainViewChange(previous: View | null, next: View, context: ExplainContext): string {
  if (next.viewNum === 1) {
    const backup = next.backup === null ? "" : `; ${next.backup} backup`;
    return `${next.primary ?? "nobody"} pinged first: primary of view 1${backup}`;
  }
  if (previous === null || previous.viewNum === 0) return "current view when the dashboard started";
  const since = (context.previousAt ?? -Infinity) - incidentSlackMs;
  const recent = context.incidents.filter((incident) => incident.at >= since);
  const cause = (node: Address): string => causeOf(node, recent, context.faults);
  const parts: string[] = [];
  if (next.primary !== previous.primary) {
    if (previous.primary !== null && next.primary === previous.backup) {
      parts.push(`primary ${previous.primary} ${cause(previous.primary)}; backup ${next.primary} promoted`);
    } else {
      parts.push(`primary ${previous.primary ?? "-"} → ${next.primary ?? "-"}`);
    }
  }
  if (next.backup !== previous.backup) {
    const promoted = previous.backup !== null && previous.backup === next.primary;
    if (previous.backup !== null && !promoted)
      parts.push(`backup ${previous.backup} ${cause(previous.backup)}`);
    if (next.backup === null) parts.push("no idle server to be backup");
    else if (previous.backup === null) parts.push(`${next.backup} joined as backup (state transfer follows)`);
    else parts.push(`${next.backup} is the new backup (state transfer follows)`);
  }
  // Same members, new number: a member restarted under its own name and was taken back.
  for (const member of [next.primary, next.backup]) {
    if (member === null || member === undefined) continue;
    const restart = latest(recent, member, ["restarted", "process restarted"]);
    if (restart !== null && (member === previous.primary || member === previous.backup)) {
      if (!parts.some((part) => part.includes(member)))
        parts.push(`${member} ${describe(restart)}, taken back`);
    }
  }
  return parts.length > 0 ? parts.join("; ") : "configuration changed";
}

function latest(incidents: readonly Incident[], node: Address, kinds?: Incident["kind"][]): Incident | null {
  for (let index = incidents.length - 1; index >= 0; index--) {
    const incident = incidents[index];
    if (
      incident !== undefined &&
      incident.node === node &&
      (kinds === undefined || kinds.includes(incident.kind))
    )
      return incident;
  }
  return null;
}

function describe(incident: Incident): string {
  switch (incident.kind) {
    case "crashed":
      return "crashed (crash fault)";
    case "failed":
      return `failed (${incident.detail ?? "fatal error"})`;
    case "restarted":
      return "restarted and lost its state";
    case "process restarted":
      return "process restarted (fresh state)";
    case "stopped":
      return "process stopped";
  }
}

/** What silenced a node: its latest incident, else the network as the fault events left it. */
function causeOf(node: Address, incidents: readonly Incident[], faults: FaultSettings): string {
  const incident = latest(incidents, node);
  if (incident !== null) return describe(incident);
  if (!canReach(faults.groups, node, viewServerAddress)) return "cut off from the view server by a partition";
  const link = settingsFor(faults, node, viewServerAddress);
  if (link.drop > 0) return `went silent: pings lost (${Math.round(link.drop * 100)}% loss)`;
  return "went silent (no ping within two checks)";
}
