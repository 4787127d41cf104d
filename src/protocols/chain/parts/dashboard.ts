import type { Address } from "../../../schemas/address.js";
import type { View } from "../../../schemas/view.js";
import type { DashboardSupport, Traffic, ViewChangeContext } from "../../dashboardSupport.js";
import type { ChainMessage } from "../messages.js";
import { chainOf, masterAddress, placeOf } from "../view.js";

// Chain replication on the dashboard: the master is shown as such, never in
// a chain; servers are head, middle, tail, joining or spare. The master says
// why it changed the chain (its view events carry the reason); for a view it
// did not explain, the page infers it from what happened to the members.

function explainViewChange(previous: View | null, next: View, context: ViewChangeContext): string {
  if (next.viewNum === 1) return `${next.primary ?? "nobody"} pinged first: the whole chain of view 1`;
  if (previous === null || previous.viewNum === 0) return "current chain when the dashboard started";
  const before = chainOf(previous);
  const after = chainOf(next);
  const parts: string[] = [];
  for (const member of before)
    if (!after.includes(member))
      parts.push(`${placeOf(previous, member)} ${member} ${causeOf(member, context)}: unlinked`);
  for (const member of after) if (!before.includes(member)) parts.push(`${member} linked in as the tail`);
  if (next.joining !== undefined && next.joining !== previous.joining)
    parts.push(`${next.joining} joins: it receives the tail's state`);
  if (
    previous.joining !== undefined &&
    next.joining !== previous.joining &&
    !after.includes(previous.joining)
  )
    parts.push(`joining ${previous.joining} ${causeOf(previous.joining, context)}`);
  return parts.length > 0 ? parts.join("; ") : "chain changed";
}

/** What silenced a server: its latest incident, else the network between it and the master. */
function causeOf(node: Address, context: ViewChangeContext): string {
  const incident = context.incidentOf(node) ?? context.restartOf(node);
  if (incident !== null) return incident;
  if (!context.reaches(node, masterAddress)) return "cut off from the master by a partition";
  const drop = context.dropBetween(node, masterAddress);
  if (drop > 0) return `went silent: pings lost (${Math.round(drop * 100)}% loss)`;
  return "went silent (no ping within two checks)";
}

function traffic(body: ChainMessage): Traffic {
  switch (body.type) {
    case "Request":
      return { kind: "request", seq: body.seq };
    case "Reply":
      return { kind: "reply", seq: body.seq, ok: body.result.ok };
    case "Forward":
    case "ChainAck":
    case "StateTransfer":
    case "StateTransferAck":
    case "ReadCheck":
    case "ReadCheckOk":
      return { kind: "replication" };
    case "Ping":
    case "GetView":
    case "ViewReply":
      return { kind: "heartbeat" };
    default:
      return { kind: "other" };
  }
}

export const chainDashboard: DashboardSupport = {
  roles: {
    master: {
      label: "master",
      inViews: false,
      crashWarning: "Crash the master? Chains cannot survive it: the cluster must be restarted.",
    },
    server: { label: "server", inViews: true, crashWarning: null },
  },
  cut: {
    label: "cut tail ↔ master",
    title: "the tail cannot reach the master (it keeps answering reads it can confirm)",
  },
  roleIn(view, node) {
    const place = placeOf(view, node);
    return place === "spare" ? null : place === "single" ? "head+tail" : place;
  },
  // The servers' role events say primary (the head), backup (a middle server or the tail) or idle.
  announcedRole: (role) =>
    role === "head" || role === "head+tail"
      ? "primary"
      : role === "middle" || role === "tail"
        ? "backup"
        : "idle",
  explainViewChange,
  traffic: (body) => traffic(body as ChainMessage),
};
