// Publishing and subscribing to `<c>.events` (ClusterEvents, JSON, routing key
// `<type>.<node>`). Subscribers get an exclusive queue that vanishes with them.
import type { ConsumeMessage, Options } from "amqplib";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import type { Address } from "../schemas/address.js";
import { ClusterEvent, type ClusterEventBody, type LoadEvent } from "../schemas/clusterEvents.js";
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
  const message = clusterEventMessage(names, node, body);
  return connection.publish(names.events, message.routingKey, message.content, message.options);
}

/**
 * Publishes on a channel of its own and waits for the broker to have routed
 * it, for a process about to close its connection (a fire-and-forget publish
 * could be overtaken by the close). Throws when the broker or the cluster's
 * events exchange is gone.
 */
export async function publishClusterEventConfirmed(
  connection: BrokerConnection,
  names: ClusterNames,
  node: Address,
  body: ClusterEventBody,
): Promise<void> {
  const message = clusterEventMessage(names, node, body);
  await connection.withScratchChannel(async (channel) => {
    channel.publish(names.events, message.routingKey, message.content, message.options);
    // Frames on one channel are handled in order: once this answers, the publish was routed.
    await channel.checkExchange(names.events);
  });
}

function clusterEventMessage(
  names: ClusterNames,
  node: Address,
  body: ClusterEventBody,
): { routingKey: string; content: Buffer; options: Options.Publish } {
  const event = { v: 1, cluster: names.cluster, node, at: Date.now(), ...body } as ClusterEvent;
  return {
    routingKey: eventRoutingKey(event.type, node),
    content: Buffer.from(JSON.stringify(event)),
    options: { contentType: "application/json", type: event.type },
  };
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

/** One line for a `load` event, shared by the supervisor's printer and the dashboard's log. */
export function describeLoadEvent(event: LoadEvent): string {
  const seconds = Math.round(event.durationMs / 10) / 100;
  if (event.result === "running") {
    return `run ${event.run} started: ${event.clients} clients, ${event.keys} keys, ${seconds} s`;
  }
  const verdict =
    event.result === "linearizable"
      ? "linearizable"
      : event.result === "not-linearizable"
        ? `NOT linearizable (key ${JSON.stringify(event.key)})`
        : "checker gave up";
  const latency = (value: number | null): string => (value === null ? "-" : `${value} ms`);
  return (
    `run ${event.run}: ${verdict}; ${event.ok} ok, ${event.info} timed out, ${event.fail} refused, ` +
    `${event.opsPerSecond} ops/s; p50 ${latency(event.latencyP50Ms)}, p99 ${latency(event.latencyP99Ms)}, ` +
    `max wait ${event.maxWaitMs} ms; ${event.clients} clients, ${seconds} s; ${event.history}`
  );
}
