// The supervisor's printer: one line per interesting cluster event, shared by
// `npm run cluster` on the broker (events from `<c>.events`) and on the
// in-memory transport (events straight from the hosts), so both print the
// same lines.
import { AgreementChecker, describeDisagreement } from "../broker/agreement.js";
import { describeLoadEvent } from "../broker/events.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import type { ClusterEvent } from "../schemas/clusterEvents.js";
import { describeView } from "../schemas/view.js";
import { configuringNodes } from "../protocols/viewHelpers.js";
import { clockTime } from "./common.js";

/** One line per interesting event; repeated fault acknowledgements and reject floods are folded. */
export class EventPrinter {
  private readonly faultsSeen = new Map<string, number>();
  private readonly rejectsSuppressedUntil = new Map<string, number>();
  private readonly agreement = new AgreementChecker();

  /** Views are printed as the nodes that answer the protocol's view query (pb: the view server) have them. */
  private readonly viewAuthorities: ReadonlySet<string>;
  /** Which node printed each view line first: another node's identical line is not printed again. */
  private readonly viewLinesPrinted = new Map<string, string>();

  constructor(
    protocol: AnyProtocol,
    private readonly say: (line: string) => void,
    /** The cluster's configuration (who states views may depend on it: VR's replicas). */
    config: ProtocolConfigBase = protocol.config.defaults,
  ) {
    this.viewAuthorities = new Set(configuringNodes(protocol, config));
  }

  print(event: ClusterEvent): void {
    // Clients of kv and load come and go; their lines would drown the cluster's.
    if (event.node.startsWith("client-") && event.type !== "rejected") return;
    const line = this.format(event);
    if (line !== null) this.say(`${clockTime(event.at)} ${event.node.padEnd(12)} ${line}`);
  }

  private format(event: ClusterEvent): string | null {
    switch (event.type) {
      case "view":
        return this.formatView(event);
      case "role":
        return `is ${event.role} in view ${event.viewNum}`;
      case "lifecycle":
        return event.detail === undefined ? event.state : `${event.state} (${event.detail})`;
      case "fault": {
        // Every node acknowledges a network command; print it once.
        const key = JSON.stringify(event.command);
        const seenAt = this.faultsSeen.get(key);
        this.faultsSeen.set(key, event.at);
        if (seenAt !== undefined && event.at - seenAt < 2_000) return null;
        return `fault ${key}: ${event.effect}`;
      }
      case "rejected": {
        const until = this.rejectsSuppressedUntil.get(event.node) ?? 0;
        if (event.at < until) return null;
        this.rejectsSuppressedUntil.set(event.node, event.at + 1_000);
        return `rejected ${event.source} input (${event.bytes} bytes): ${event.reason.split("\n")[0]} (more within a second are not shown)`;
      }
      case "load":
        return describeLoadEvent(event);
      case "agreement": {
        // Published by nodes run with --debug: the cluster-wide invariants across processes.
        const disagreement = this.agreement.check(event);
        return disagreement === null ? null : `BROKEN INVARIANT ${describeDisagreement(disagreement)}`;
      }
      case "counters":
      case "transfer":
      case "status":
        return null;
    }
  }

  /** A configuring node's view line; the same view said again by another of them (VR's replicas) is not repeated. */
  private formatView(event: Extract<ClusterEvent, { type: "view" }>): string | null {
    if (!this.viewAuthorities.has(event.node)) return null;
    const line =
      event.reason === undefined ? describeView(event.view) : `${describeView(event.view)}: ${event.reason}`;
    const firstBy = this.viewLinesPrinted.get(line);
    if (firstBy !== undefined && firstBy !== event.node) return null;
    if (firstBy === undefined) this.viewLinesPrinted.set(line, event.node);
    return line;
  }
}
