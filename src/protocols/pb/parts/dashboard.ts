import { type Address, viewServerAddress } from "../../../schemas/address.js";
import type { View } from "../../../schemas/view.js";
import type { DashboardSupport, Traffic, ViewChangeContext } from "../../dashboardSupport.js";
import type { MessageBody } from "../messages.js";

// Primary/backup on the dashboard: the view server is shown as such, never in
// a view; servers are primary, backup or idle. The view server does not say
// why it changed the view, so the page infers it from what happened to the
// members of the old view: a crash, a restart, a partition or loss that
// silenced their pings, or plain silence.

function explainViewChange(previous: View | null, next: View, context: ViewChangeContext): string {
  if (next.viewNum === 1) {
    const backup = next.backup === null ? "" : `; ${next.backup} backup`;
    return `${next.primary ?? "nobody"} pinged first: primary of view 1${backup}`;
  }
  if (previous === null || previous.viewNum === 0) return "current view when the dashboard started";
  const cause = (node: Address): string => causeOf(node, context);
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
    if (member === null) continue;
    const restart = context.restartOf(member);
    if (restart !== null && (member === previous.primary || member === previous.backup)) {
      if (!parts.some((part) => part.includes(member))) parts.push(`${member} ${restart}, taken back`);
    }
  }
  return parts.length > 0 ? parts.join("; ") : "configuration changed";
}

/** What silenced a server: its latest incident, else the network between it and the view server. */
function causeOf(node: Address, context: ViewChangeContext): string {
  const incident = context.incidentOf(node);
  if (incident !== null) return incident;
  if (!context.reaches(node, viewServerAddress)) return "cut off from the view server by a partition";
  const drop = context.dropBetween(node, viewServerAddress);
  if (drop > 0) return `went silent: pings lost (${Math.round(drop * 100)}% loss)`;
  return "went silent (no ping within two checks)";
}

function traffic(body: MessageBody): Traffic {
  switch (body.type) {
    case "Request":
      return { kind: "request", seq: body.seq };
    case "Reply":
      return { kind: "reply", seq: body.seq, ok: body.result.ok };
    case "Forward":
      return { kind: "replication" };
    case "Ping":
    case "GetView":
    case "ViewReply":
      return { kind: "heartbeat" };
    default:
      return { kind: "other" };
  }
}

export const pbDashboard: DashboardSupport = {
  roles: {
    viewserver: {
      label: "view server",
      inViews: false,
      crashWarning: "Crash the view server? Views cannot survive it: the cluster must be restarted.",
    },
    server: { label: "server", inViews: true, crashWarning: null },
  },
  cut: { label: "cut primary ↔ view server", title: "the primary cannot reach the view server" },
  roleIn: (view, node) => (node === view.primary ? "primary" : node === view.backup ? "backup" : null),
  explainViewChange,
  // The dashboard parses every envelope with pb's schema first: the body is one of pb's.
  traffic: (body) => traffic(body as MessageBody),
};
