import type { Address } from "../schemas/address.js";
import type { MessageBase } from "../schemas/envelope.js";
import type { View } from "../schemas/view.js";

// What the dashboard (src/dashboard, web/) asks of a protocol: how its page
// names and shows each role, what its messages are to a viewer (client
// traffic, replication, heartbeats), its partition button, and why a
// configuration changed. Types only: the browser bundle imports them too.

/** How the page shows the nodes of one role. */
export interface DashboardRole {
  /** How texts name a node of this role ("view server"). */
  readonly label: string;
  /** Its nodes are members of views (their role is `roleIn`, or idle); false: the page shows `label` as their role. */
  readonly inViews: boolean;
  /** Asked before the page crashes a node of this role; null: no question. */
  readonly crashWarning: string | null;
}

/**
 * What a message is to a viewer: a client's request or the answer to it (their
 * `seq` pairs them, to measure latency), replication between servers (counted
 * per sender), a heartbeat (sampled less: most of an idle cluster's traffic),
 * or anything else.
 */
export type Traffic =
  | { readonly kind: "request"; readonly seq: number }
  | { readonly kind: "reply"; readonly seq: number; readonly ok: boolean }
  | { readonly kind: "replication" }
  | { readonly kind: "heartbeat" }
  | { readonly kind: "other" };

/** What the dashboard saw happen since the previous view, for `explainViewChange`. */
export interface ViewChangeContext {
  /** The node's latest incident since the previous view ("crashed (crash fault)"), or null. */
  incidentOf(node: Address): string | null;
  /** The node's latest restart since the previous view ("restarted and lost its state"), or null. */
  restartOf(node: Address): string | null;
  /** The partition in force lets `from` reach `to`. */
  reaches(from: Address, to: Address): boolean;
  /** The share of messages from `from` to `to` the network drops now. */
  dropBetween(from: Address, to: Address): number;
}

export interface DashboardSupport {
  /** Every role of `Protocol.roles`, by name. */
  readonly roles: Readonly<Record<string, DashboardRole>>;
  /** The "cut" button, which makes `chaos.partition(view)`: its text and its tooltip. */
  readonly cut: { readonly label: string; readonly title: string };
  /**
   * The role `node` (of a role `inViews`) plays in `view` ("primary",
   * "backup", VR's "replica"), or null when the view does not name it: the
   * page then shows a live node as idle (a spare) and a crashed or stopped
   * one as having no role. The page's members of a view are
   * `view.replicas ?? [primary, backup]`.
   */
  roleIn(view: View, node: Address): string | null;
  /**
   * The role a node announces in its own `role` events ("primary", "backup",
   * "idle") while it plays `role` of `roleIn`, so that the page tells a node
   * that agrees with the view from one that lags (chain replication: a head
   * announces primary, a middle server or tail backup). Absent: the same word.
   */
  announcedRole?(role: string): string;
  /** One line: why the configuration went from `previous` to `next` (the configuring node does not say). */
  explainViewChange(previous: View | null, next: View, context: ViewChangeContext): string;
  traffic(body: MessageBase): Traffic;
}
