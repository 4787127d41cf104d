import type { View } from "../../../schemas/view.js";
import type { DashboardSupport, Traffic, ViewChangeContext } from "../../dashboardSupport.js";
import type { VrMessage } from "../messages.js";

// VR on the dashboard: every node is a replica; a view change names its new
// primary (replica v mod n), and the page says what happened to the old one.

function explainViewChange(previous: View | null, next: View, context: ViewChangeContext): string {
  if (previous === null) return "current view when the dashboard started";
  const old = previous.primary;
  if (old === null || old === next.primary) return `view ${next.viewNum}: ${next.primary ?? "-"} primary`;
  const cause =
    context.incidentOf(old) ??
    context.restartOf(old) ??
    "went silent (no Prepare or Commit within the timeout)";
  return `primary ${old} ${cause}; the replicas chose view ${next.viewNum}, primary ${next.primary ?? "-"}`;
}

function traffic(body: VrMessage): Traffic {
  switch (body.type) {
    case "Request":
      return { kind: "request", seq: body.seq };
    case "Reply":
      return { kind: "reply", seq: body.seq, ok: body.result.ok };
    case "Prepare":
    case "PrepareOK":
      return { kind: "replication" };
    case "Commit":
    case "GetView":
    case "ViewReport":
      return { kind: "heartbeat" };
    default:
      return { kind: "other" };
  }
}

export const vrDashboard: DashboardSupport = {
  roles: { replica: { label: "replica", inViews: true, crashWarning: null } },
  cut: {
    label: "cut primary ↔ backups",
    title: "the primary cannot reach any backup (its clients still reach it)",
  },
  roleIn: (view, node) =>
    node === view.primary ? "primary" : (view.replicas ?? []).includes(node) ? "backup" : null,
  explainViewChange,
  traffic: (body) => traffic(body as VrMessage),
};
