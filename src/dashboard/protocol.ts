// What the dashboard server sends the browser (server-sent events on
// `/api/stream`, JSON on `/api/state`) and accepts (`POST /api/control`).
// Types only: the browser bundle imports them too, so nothing here may touch
// Node or the broker.
import type { DashboardRole } from "../protocols/dashboardSupport.js";
import type { Address } from "../schemas/address.js";
import type { LoadEvent, NodeCounters, ProtocolFigures } from "../schemas/clusterEvents.js";
import type { NetSettings } from "../schemas/control.js";
import type { View } from "../schemas/view.js";

/** `up`: heard from within `silentAfterMs`; `silent`: not; the rest from lifecycle events. */
export type Liveness = "up" | "silent" | "crashed" | "stopped" | "unknown";
/** A node's role in a view as the protocol names it (`dashboard.roleIn`; pb: "primary", "backup"), or "idle" for a live node the view does not name. */
export type Role = string;

export interface NodeSummary {
  address: Address;
  /** The node's role in the protocol (`ProtocolSummary.roles`; pb: "viewserver" or "server"). */
  kind: string;
  /**
   * The role the current view gives it; null for a node whose role is never
   * in views (pb: the view server), with no view yet, and for a crashed or
   * stopped node the view does not name (it has no role, rather than being
   * an idle spare).
   */
  role: Role | null;
  /**
   * What the node itself last announced (`role.<node>`), which may lag or
   * disagree; `role` itself when it is what that role announces
   * (`dashboard.announcedRole`: chain replication's tail announces backup).
   */
  selfRole: Role | null;
  selfViewNum: number | null;
  liveness: Liveness;
  /** Epoch ms of the last event or tapped message from the node. */
  lastSeenAt: number | null;
  /** Last lifecycle state, with its detail. */
  lifecycle: string | null;
  counters: NodeCounters | null;
  /** Forward messages it sent, counted by the message tap since the dashboard started. */
  forwards: number;
  /** State transfers it completed as primary (`transfer.<node>` events). */
  transfers: number;
  /**
   * The protocol's own figures from the node's latest answer to the `status`
   * command (the feed asks every second; VR: status, opNumber, commitNumber,
   * logStart); null for a protocol without them (pb), a node that has not
   * answered in this life, or an answer older than `statusStaleMs`.
   */
  figures: ProtocolFigures | null;
}

export interface ViewRecord {
  viewNum: number;
  primary: Address | null;
  backup: Address | null;
  /** Every member, where the protocol lists them (View.replicas). */
  replicas?: Address[] | undefined;
  /** The announcing node's status in the view, where the protocol has one (View.status). */
  status?: string | undefined;
  /** Chain replication: the servers in chain order, head first (View.chain). */
  chain?: Address[] | undefined;
  /** Chain replication: a spare receiving the tail's state, to join as the next tail (View.joining). */
  joining?: Address | undefined;
  /** Epoch ms the dashboard learned it (the configuring node's event time). */
  at: number;
  /** Why it changed, inferred from the events before it (a crash fault, a partition, loss). */
  reason: string;
  /** What the configuring node (pb: the view server) itself said: whom it found silent or restarted, whom it promoted. */
  viewServerReason?: string | undefined;
  /** The node whose event announced the view (pb: the view server; VR: the new primary, or a probe's answer). */
  announcedBy?: Address | undefined;
}

export type LogKind = "view" | "role" | "fault" | "lifecycle" | "rejected" | "transfer" | "control" | "load";

export interface LogEntry {
  at: number;
  node: string;
  kind: LogKind;
  text: string;
  /** Something went wrong (a failed control, a crash, a violation). */
  bad?: boolean;
}

/** One second of the cluster. */
export interface SeriesPoint {
  /** Epoch ms of the second's start. */
  at: number;
  /** Client operations answered (sum of the servers' `served` counters). */
  ops: number;
  /** Messages seen by the tap (every copy). */
  messages: number;
  /** Messages lost (sum of the nodes' `lost` counters). */
  lost: number;
  /** Client operation latency (first Request sent → ok Reply), from the tap. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/**
 * A load run as its newest `load` event tells it: `running` from its start,
 * then the checker's verdict with the figures `npm run load` measured.
 */
export type LoadRun = LoadEvent;

export interface FaultSummary {
  net: NetSettings;
  links: ({ from: Address; to: Address } & NetSettings)[];
  groups: Address[][] | null;
  crashed: Address[];
  /** One line, as the nodes describe it. */
  text: string;
}

/** A role of the protocol, with how the page shows its nodes. */
export interface RoleSummary extends DashboardRole {
  name: string;
  summary: string;
  crashable: boolean;
}

/** The protocol the cluster runs, as the page needs it (so that the page itself knows no protocol). */
export interface ProtocolSummary {
  name: string;
  title: string;
  roles: RoleSummary[];
  /** How texts name the node whose views are the cluster's (pb: "view server"). */
  configuring: string;
  /** The "cut" button: the protocol's partition in the current view (null groups: none now). */
  cut: { label: string; title: string; groups: Address[][] | null };
}

export interface DashboardSummary {
  cluster: string;
  protocol: ProtocolSummary;
  broker: string;
  /** Where the project is: `npm run …` works only there (the page's hints say so). */
  projectDirectory: string;
  connected: boolean;
  /** The cluster's exchanges exist on the broker. */
  clusterRunning: boolean;
  tap: boolean;
  /** The server's clock (epoch ms) when this summary was made. */
  now: number;
  view: View | null;
  views: ViewRecord[];
  nodes: NodeSummary[];
  faults: FaultSummary;
  log: LogEntry[];
  series: SeriesPoint[];
  /** The last load runs, the most recently heard of last. */
  loads: LoadRun[];
  /** Events on `<c>.events` that failed the schema and were skipped. */
  invalidEvents: number;
  sampling: { perSecond: number; seen: number; sampled: number };
}

/** What happened to a message. */
export type Fate = "delivered" | "delayed" | "dropped" | "partitioned" | "refused" | "expired" | "unroutable";

/** One message of the space-time diagram. */
export interface MessageSample {
  /** Unique per copy: `<envelope id>:<copy>`. A later sample with the same key replaces it (its fate changed). */
  key: string;
  from: Address;
  to: Address;
  type: string;
  /** `describeMessage` text, cut short. */
  label: string;
  viewNum: number;
  /** Epoch ms (sender's clock). */
  sentAt: number;
  /** Epoch ms the dashboard saw it arrive or get lost. */
  at: number;
  fate: Fate;
  /** The delay bucket it waited in, when delayed. */
  delayMs: number | null;
  /** A second (or later) copy of the same message. */
  duplicate: boolean;
}

/** Server-sent events on `/api/stream`. */
export interface StreamEvents {
  summary: DashboardSummary;
  messages: MessageSample[];
}

export type ControlResponse = { ok: true; command: unknown } | { ok: false; error: string };
