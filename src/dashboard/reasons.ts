// Why did the view change? The configuring node does not say, so the
// dashboard infers it from what happened to the members of the old view since
// it was made: the incidents the events told (a crash fault, a restart, a
// process that stopped) and the network faults in force. What those mean for
// the protocol (pb: a partition or loss that silenced a server's pings) is the
// protocol's `dashboard.explainViewChange`. Pure.
import { canReach, type FaultSettings, settingsFor } from "../broker/faults.js";
import type { ViewChangeContext } from "../protocols/dashboardSupport.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import type { View } from "../schemas/view.js";

/** Something that happened to one node, as the events told it. */
export interface Incident {
  at: number;
  node: Address;
  kind: "crashed" | "failed" | "restarted" | "process restarted" | "stopped";
  detail?: string | undefined;
}

/** Incidents this long before the previous view still count (events race the configuring node's). */
export const incidentSlackMs = 1_000;

export interface ExplainContext {
  /** Epoch ms of the previous view (null: none seen). */
  previousAt: number | null;
  incidents: readonly Incident[];
  faults: FaultSettings;
}

export function explainViewChange(
  protocol: AnyProtocol,
  previous: View | null,
  next: View,
  context: ExplainContext,
): string {
  return protocol.dashboard.explainViewChange(previous, next, viewChangeContext(context));
}

/** The incidents since the previous view and the faults in force, as the protocol's explanation asks for them. */
function viewChangeContext(context: ExplainContext): ViewChangeContext {
  const since = (context.previousAt ?? -Infinity) - incidentSlackMs;
  const recent = context.incidents.filter((incident) => incident.at >= since);
  const described = (incident: Incident | null): string | null =>
    incident === null ? null : describe(incident);
  return {
    incidentOf: (node) => described(latest(recent, node)),
    restartOf: (node) => described(latest(recent, node, ["restarted", "process restarted"])),
    reaches: (from, to) => canReach(context.faults.groups, from, to),
    dropBetween: (from, to) => settingsFor(context.faults, from, to).drop,
  };
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
