// The sending side of an actor host (DESIGN §5): every message an actor sends
// goes through the fault layer of its host (src/broker/faults.ts) and out as
// one AMQP publish per copy; copies that leave at once share a message with
// what the connection sends the same destination in the same turn (a wire
// batch, src/broker/sendBatcher.ts). Nodes publish straight into the
// destination's queue through the default exchange, which the broker routes
// at a fraction of a topic exchange's cost (issue 21); while someone taps the
// traffic (a `tap` command: the dashboard's --tap, the chaos observer) they
// publish to `<c>.net` instead (a server to another server: to `<c>.peer`, a
// direct exchange), where taps bind. Nodes let the broker
// carry out delay (the TTL bucket queues of `<c>.delay`) and loss (`<c>.drop`,
// into `<c>.lost`). Clients publish to `<c>.requests` only (a secure
// cluster's client users may publish nowhere else): their loss is counted
// here and their delay waits on a timer here.
import type { Options } from "amqplib";
import type { Logger } from "pino";
import { type Address, isServerAddress } from "../schemas/address.js";
import type { NodeCounters } from "../schemas/clusterEvents.js";
import type { Envelope } from "../schemas/envelope.js";
import { messageBytesMax } from "../schemas/limits.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import { netRoutingKey } from "./clientInbox.js";
import type { BrokerConnection } from "./connection.js";
import { type FaultSettings, planSend, type SendPlan } from "./faults.js";
import { type ClusterNames, dropPath, faultPathHeader } from "./topology.js";

export interface HostSenderOptions {
  names: ClusterNames;
  address: Address;
  /** A client's host: its messages are requests to nodes. */
  asClient: boolean;
  connection: BrokerConnection;
  protocol: AnyProtocol;
  /** The host's counters, counted into. */
  counters: NodeCounters;
  log: Logger;
  /** Someone taps the cluster's traffic (a `tap` command's lease runs): send where taps bind. */
  isTapped: () => boolean;
}

/**
 * The AMQP properties of an envelope: its content type and nothing else (on
 * a secure cluster the connection adds the broker-checked `user_id`). Every
 * property is encoded by the sender, parsed by the broker and decoded by the
 * receiver on every hop, and no receiver reads an id or a type there (they
 * are the envelope's), so none is sent: about 10 µs a hop each (issue 21).
 */
const envelopeProperties: Options.Publish = Object.freeze({ contentType: "application/json" });

export class HostSender {
  /** Client sends held back by a delay fault. */
  private readonly delayedSends = new Set<NodeJS.Timeout>();
  /** A server: what it sends other servers at once goes through `<c>.peer`. */
  private readonly isServer: boolean;

  constructor(private readonly options: HostSenderOptions) {
    this.isServer = isServerAddress(options.address);
  }

  send(envelope: Envelope, faults: FaultSettings): void {
    const { counters, log, address } = this.options;
    counters.messagesOut += 1;
    const content = Buffer.from(JSON.stringify(envelope));
    if (content.length > messageBytesMax) {
      log.warn(
        { bytes: content.length, type: envelope.body.type },
        "sending a message larger than receivers accept",
      );
    }
    if (log.isLevelEnabled("debug"))
      log.debug({ message: this.options.protocol.describeMessage(envelope) }, "send");
    const properties = envelopeProperties;
    const plan = planSend(faults, address, envelope.to, Math.random);
    if (this.options.asClient) this.sendAsClient(envelope.to, content, properties, plan);
    else this.sendAsNode(envelope.to, content, properties, plan);
  }

  /** Drops the sends a delay still holds (the host stops). */
  stop(): void {
    for (const handle of this.delayedSends) clearTimeout(handle);
    this.delayedSends.clear();
  }

  private sendAsNode(to: Address, content: Buffer, properties: Options.Publish, plan: SendPlan): void {
    const counters = this.options.counters;
    switch (plan.kind) {
      case "partitioned":
        counters.partitioned += 1;
        return this.publishLost(to, content, properties, "partition");
      case "dropped":
        counters.dropped += 1;
        return this.publishLost(to, content, properties, "drop");
      case "deliver":
        if (plan.copiesDelayMs.length > 1) counters.duplicated += plan.copiesDelayMs.length - 1;
        for (const delayMs of plan.copiesDelayMs) this.publishCopy(to, content, properties, delayMs);
    }
  }

  private publishCopy(to: Address, content: Buffer, properties: Options.Publish, delayMs: number): void {
    const { connection, names } = this.options;
    // A member of a client group is reached through its group's inbox (src/broker/clientInbox.ts).
    const key = netRoutingKey(to);
    if (delayMs === 0) {
      // Untapped: the default exchange routes by queue name, to the actor's (or its group's) queue.
      // A queue that does not exist loses the message there (uncounted: `<c>.net` would have
      // handed it to `<c>.lost`); actors' queues outlive their processes, clients' go with them.
      if (!this.options.isTapped())
        return this.countPublished(connection.publishBatched("", names.actorQueue(key), content, properties));
      // Server to server through the direct `<c>.peer` (every server's queue is bound there too).
      const exchange = this.isServer && isServerAddress(to) ? names.peer : names.net;
      return this.countPublished(connection.publishBatched(exchange, key, content, properties));
    }
    this.options.counters.delayed += 1;
    // Through the headers exchange to the bucket's TTL queue, which dead-letters into `<c>.net`
    // with the routing key it was published with: the destination address.
    const headers = { ...properties.headers, [faultPathHeader]: String(delayMs) };
    this.countPublished(connection.publish(names.delay, key, content, { ...properties, headers }));
  }

  /** A lost message expires at once in `<c>.drop` and dead-letters into `<c>.lost`, where it can be counted. */
  private publishLost(to: Address, content: Buffer, properties: Options.Publish, reason: string): void {
    const headers = { ...properties.headers, [faultPathHeader]: dropPath, "pbkv-lost": reason };
    const { connection, names } = this.options;
    connection.publish(names.delay, netRoutingKey(to), content, { ...properties, headers, expiration: "0" });
  }

  private sendAsClient(to: Address, content: Buffer, properties: Options.Publish, plan: SendPlan): void {
    const counters = this.options.counters;
    if (plan.kind !== "deliver") {
      if (plan.kind === "partitioned") counters.partitioned += 1;
      else counters.dropped += 1;
      return;
    }
    if (plan.copiesDelayMs.length > 1) counters.duplicated += plan.copiesDelayMs.length - 1;
    for (const delayMs of plan.copiesDelayMs) {
      if (delayMs === 0) {
        this.publishRequest(to, content, properties);
        continue;
      }
      counters.delayed += 1;
      const handle = setTimeout(() => {
        this.delayedSends.delete(handle);
        this.publishRequest(to, content, properties);
      }, delayMs);
      this.delayedSends.add(handle);
    }
  }

  /** A client's send on `<c>.requests` (a method, not a closure per send: see withTimeout in clients.ts). */
  private publishRequest(to: Address, content: Buffer, properties: Options.Publish): void {
    const { connection, names } = this.options;
    this.countPublished(connection.publishBatched(names.requests, to, content, properties));
  }

  private countPublished(sent: boolean): void {
    if (sent) this.options.counters.published += 1;
    else this.options.counters.unsent += 1;
  }
}
