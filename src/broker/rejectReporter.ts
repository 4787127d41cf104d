// What a host does with invalid input (DESIGN §5.1, docs/BROKER.md "Bad
// input"): count it, and, within a rate budget (a flood is only counted), log
// it with its reason, keep a copy in `<c>.rejected` and announce it as a
// `rejected` event. A secure cluster's client users may write neither
// `<c>.rejected` nor events: theirs is logged and counted only. Actor hosts
// and client groups' inboxes report through one of these.
import type { Logger } from "pino";
import type { Address } from "../schemas/address.js";
import { rejectReasonLengthMax } from "../schemas/clusterEvents.js";
import { isClientUser } from "../security/principal.js";
import type { BrokerConnection } from "./connection.js";
import { publishClusterEvent } from "./events.js";
import { RateBudget } from "./rateBudget.js";
import type { ClusterNames } from "./topology.js";

/** At most this much of a rejected message is kept in `<c>.rejected`. */
export const rejectedContentBytesMax = 64 * 1024;
/** Refusals reported (logged, copied to `<c>.rejected`, announced) per second and at once; the rest are counted. */
export const rejectReportsPerSecond = 200;
export const rejectReportsBurst = 400;

export class RejectReporter {
  private readonly budget = new RateBudget(rejectReportsPerSecond, rejectReportsBurst, performance.now());
  /** Everything refused, reported or not. */
  count = 0;

  constructor(
    private readonly names: ClusterNames,
    /** Who refused: the `pbkv-node` header and the event's node. */
    private readonly node: Address,
    private readonly connection: BrokerConnection,
    private readonly log: Logger,
  ) {}

  report(content: Buffer, source: "actor" | "control", reason: string): void {
    this.count += 1;
    const bytes = content.length;
    if (!this.budget.take(performance.now())) return; // a flood: counted only
    this.log.warn({ reason, bytes, source }, "invalid message rejected");
    if (isClientUser(this.names.cluster, this.connection.user)) return;
    const truncated = bytes > rejectedContentBytesMax;
    const shortReason = reason.slice(0, rejectReasonLengthMax);
    this.connection.publish(
      this.names.rejected,
      "",
      truncated ? content.subarray(0, rejectedContentBytesMax) : content,
      {
        headers: {
          "pbkv-node": this.node,
          "pbkv-source": source,
          "pbkv-reason": shortReason,
          "pbkv-bytes": bytes,
          "pbkv-truncated": truncated,
        },
      },
    );
    publishClusterEvent(this.connection, this.names, this.node, {
      type: "rejected",
      source,
      reason: shortReason,
      bytes,
    });
  }
}
