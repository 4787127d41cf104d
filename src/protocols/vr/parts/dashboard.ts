import type { View } from "../../../schemas/view.js";
import type { DashboardSupport, Traffic, ViewChangeContext } from "../../dashboardSupport.js";
import type { VrMessage } from "../messages.js";

// VR on the dashboard: every node is a replica; a view change names its new
// primary (replica v mod n), and the page says what happened to the old one;
// a new epoch (a reconfiguration) says who joined and who left.

function explainViewChange(previous: View | null, next: View, context: ViewChangeContext): string {
  if (previous === null) return "current view when the dashboard started";
  if ((next.epoch ?? 0) !== (previous.epoch ?? 0)) return explainEpochChange(previous, next);
  const old = previous.primary;
  if (old === null || old === next.primary) return `view ${next.viewNum}: ${next.primary ?? "-"} primary`;
  const cause =
    context.incidentOf(old) ??
    context.restartOf(old) ??
    "went silent (no Prepare or Commit within the timeout)";
  return `primary ${old} ${cause}; the replicas chose view ${next.viewNum}, primary ${next.primary ?? "-"}`;
}

/** A reconfiguration (npm run reconfigure): the next epoch's members, who joined and who left. */
function explainEpochChange(previous: View, next: View): string {
  const [before, after] = [previous.replicas ?? [], next.replicas ?? []];
  const joined = after.filter((member) => !before.includes(member));
  const left = before.filter((member) => !after.includes(member));
  const changes = [
    ...(joined.length > 0 ? [`${joined.join(" ")} joined`] : []),
    ...(left.length > 0 ? [`${left.join(" ")} left`] : []),
  ];
  const what = changes.length > 0 ? changes.join(", ") : "the same members";
  return `reconfigured: epoch ${next.epoch ?? 0}, members ${after.join(" ") || "-"} (${what}); view ${next.viewNum}, primary ${next.primary ?? "-"}`;
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
