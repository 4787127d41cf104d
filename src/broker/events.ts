// Publishing and subscribing to `<c>.events` (ClusterEvents, JSON, routing key
// `<type>.<node>`). Subscribers get an exclusive queue that vanishes with them.
import type { ConsumeMessage } from "amqplib";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import type { Address } from "../schemas/address.js";
import { ClusterEvent, type ClusterEventBody } from "../schemas/clusterEvents.js";
import { parseJsonWith } from "../schemas/parse.js";
import type { BrokerConnection } from "./connection.js";
import { Tap } from "./tap.js";
import type { ClusterNames } from "./topology.js";

export function eventRoutingKey(type: ClusterEvent["type"], node: Address): string {
  return `${type}.${node}`;
}

/** Fills in v, cluster, node and time, and publishes; false when the broker is out of reach. */
export function publishClusterEvent(
  connection: BrokerConnection,
  names: ClusterNames,
  node: Address,
  body: ClusterEventBody,
): boolean {
  const event = { v: 1, cluster: names.cluster, node, at: Date.now(), ...body } as ClusterEvent;
  return connection.publish(
    names.events,
    eventRoutingKey(event.type, node),
    Buffer.from(JSON.stringify(event)),
    {
      contentType: "application/json",
      type: event.type,
    },
  );
}

/**
 * Receives the cluster's events matching `pattern` (`#`, `role.*`, …) for as
 * long as it is attached. Invalid events are logged and skipped.
 */
export class EventSubscription extends Tap {
  constructor(
    names: ClusterNames,
    patterns: readonly string[],
    onEvent: (event: ClusterEvent, routingKey: string) => void,
    log: Logger,
  ) {
    super(
      `${names.events}.watch.${nanoid(10)}`,
      patterns.map((pattern) => ({ exchange: names.events, routingKey: pattern })),
      (message) => deliverClusterEvent(message, onEvent, log),
    );
  }
}

function deliverClusterEvent(
  message: ConsumeMessage,
  onEvent: (event: ClusterEvent, routingKey: string) => void,
  log: Logger,
): void {
  const parsed = parseJsonWith(ClusterEvent, message.content.toString("utf8"));
  if (!parsed.ok) {
    log.warn(
      { reason: parsed.error, routingKey: message.fields.routingKey },
      "invalid cluster event skipped",
    );
    return;
  }
  onEvent(parsed.value, message.fields.routingKey);
}
