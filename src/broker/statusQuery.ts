// Asking one node of a running cluster for its status (`NodeStatus`: role,
// view, keys, …) on the broker: publish the `status` control command (every
// node answers with a `status` event) and wait for the named node's answer.
// Only the cluster's operator may do this (control commands and the events
// exchange are the operator's, docs/SECURITY.md). The gateway's DBSIZE uses
// it; one connection and one subscription serve every question.
import { publishControl } from "./controlPublish.js";
import type { Logger } from "pino";
import type { Address } from "../schemas/address.js";
import type { NodeStatus } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import { BrokerConnection } from "./connection.js";
import { EventSubscription } from "./events.js";
import type { ClusterNames } from "./topology.js";

type Waiter = (status: NodeStatus) => void;

export class StatusQuery {
  private readonly waiters = new Map<Address, Set<Waiter>>();
  private readonly subscription: EventSubscription;
  private subscribed: Promise<void> | null = null;

  private constructor(
    private readonly connection: BrokerConnection,
    private readonly names: ClusterNames,
    log: Logger,
  ) {
    this.subscription = new EventSubscription(
      names,
      ["status.*"],
      (event) => {
        if (event.type !== "status") return;
        const waiting = this.waiters.get(event.node);
        this.waiters.delete(event.node);
        for (const waiter of waiting ?? []) waiter(event.status);
      },
      log,
    );
  }

  /** A connection of its own, named `pbkv <cluster> <label> status`, with the operator's URL. */
  static async open(options: {
    url: string;
    names: ClusterNames;
    label: string;
    log: Logger;
  }): Promise<StatusQuery> {
    const connection = await BrokerConnection.open({
      url: options.url,
      connectionName: `pbkv ${options.names.cluster} ${options.label} status`,
      log: options.log,
      topology: null,
    });
    return new StatusQuery(connection, options.names, options.log);
  }

  /** `node`'s status, or null when it did not answer within `timeoutMs` (down, cut off, or the broker away). */
  async statusOf(node: Address, timeoutMs: number): Promise<NodeStatus | null> {
    this.subscribed ??= this.connection.add(this.subscription);
    await this.subscribed;
    let settle: (status: NodeStatus | null) => void = () => {};
    const answered = new Promise<NodeStatus | null>((resolve) => (settle = resolve));
    const waiter: Waiter = (status) => settle(status);
    const waiting = this.waiters.get(node) ?? new Set<Waiter>();
    this.waiters.set(node, waiting.add(waiter));
    const timer = setTimeout(() => {
      this.waiters.get(node)?.delete(waiter);
      settle(null);
    }, timeoutMs);
    const command: ControlCommand = { type: "status" };
    publishControl(this.connection, this.names, command);
    try {
      return await answered;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.subscription.stop(this.connection).catch(() => {});
    await this.connection.close();
  }
}
