// The RabbitMQ topology of one cluster (DESIGN §5), as a table: every name is
// prefixed by the cluster name, so clusters and test runs share a broker.
// Declared on every connect (idempotent) and deleted by whoever owns the
// cluster (`npm run cluster`, the integration harness) when it stops.
import type { Channel, Options } from "amqplib";
import type { Address } from "../schemas/address.js";
import { principalOf } from "../security/principal.js";

/** A cluster name is also the prefix of every exchange and queue name. */
export const clusterNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Delay buckets, milliseconds. A delay drawn from `[min, max]` goes to the
 * nearest bucket; one TTL per queue avoids head-of-line blocking, and drawing
 * buckets at random reorders messages.
 */
export const delayBucketsMs = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
] as const;

/** Header of messages published to `<c>.delay`: a bucket in ms, or `drop`. */
export const faultPathHeader = "pbkv-path";
export const dropPath = "drop";

/** Stale traffic for a dead process expires after this long in its queue (into `<c>.lost`). */
export const actorMessageTtlMs = 10_000;
/** A server's queue outlives its process this long, so a restart finds its queue. */
export const actorQueueExpiresMs = 5 * 60_000;
/** Shared queues (delay buckets, drop, lost, rejected) vanish this long after the last declaration. */
export const sharedQueueExpiresMs = 30 * 60_000;
/** Hosts re-declare the topology this often, which keeps the shared queues alive. */
export const topologyRefreshMs = 5 * 60_000;
/** Bounds on the inspection queues: the oldest messages are dropped beyond them, and they expire. */
export const lostQueueLengthMax = 10_000;
export const lostQueueBytesMax = 64 * 1024 * 1024;
export const rejectedQueueLengthMax = 1_000;
export const rejectedQueueBytesMax = 64 * 1024 * 1024;
export const inspectionMessageTtlMs = 10 * 60_000;
/**
 * Bounds on every actor queue (a node's two, a client's one): beyond them the
 * broker refuses the publish and dead-letters it into `<c>.lost`, so a flood
 * costs the flooder, not the broker's memory (docs/SECURITY.md).
 */
export const actorQueueLengthMax = 20_000;
export const actorQueueBytesMax = 128 * 1024 * 1024;
/** Control queues: commands are small and only useful now. */
export const controlQueueLengthMax = 1_000;
export const controlQueueBytesMax = 4 * 1024 * 1024;
export const controlMessageTtlMs = 60_000;

export interface ClusterNames {
  cluster: string;
  /**
   * Topic exchange of the nodes' traffic, routing key = the destination's
   * address: nodes publish here (to nodes and to clients); a queue binds only
   * its own address (topic permissions hold a secure cluster's users to that).
   */
  net: string;
  /**
   * Direct exchange of server-to-server traffic (forwards, prepares, chain
   * updates), routing key = the destination server's address: only servers
   * publish and bind here. A topic exchange routes a message at several
   * times a direct one's cost on the broker (issue 21), and servers hold the
   * data this carries, so no topic permission needs to hold one to its key.
   */
  peer: string;
  /** Direct exchange of the clients' traffic, routing key = the node's address: only nodes' request queues bind here. */
  requests: string;
  /** Headers exchange: the `pbkv-path` header picks a delay bucket or the drop queue. */
  delay: string;
  delayQueue(bucketMs: number): string;
  /** TTL-0 queue without consumers: what arrives expires at once into `<c>.lost`. */
  drop: string;
  /** Fanout exchange and bounded queue of every lost message (drops, partitions, refused, expired). */
  lost: string;
  /** Fanout exchange and bounded queue of invalid input, with the reason in a header. */
  rejected: string;
  /** Fanout exchange of control commands. */
  control: string;
  /** Topic exchange of ClusterEvents. */
  events: string;
  /** An actor's own queue: what nodes send it (bound to `<c>.net` with its address, a server's also to `<c>.peer`). */
  actorQueue(address: Address): string;
  /** A node's second queue: what clients send it (bound to `<c>.requests`), so client traffic never queues ahead of a node's. */
  requestQueue(address: Address): string;
  /** Exclusive per-host queue bound to `<c>.control`. */
  controlQueue(address: Address, suffix: string): string;
}

export function clusterNames(cluster: string): ClusterNames {
  if (!clusterNamePattern.test(cluster)) {
    throw new Error(`invalid cluster name ${JSON.stringify(cluster)}: letters, digits, '-', '_', at most 64`);
  }
  return {
    cluster,
    net: `${cluster}.net`,
    peer: `${cluster}.peer`,
    requests: `${cluster}.requests`,
    delay: `${cluster}.delay`,
    delayQueue: (bucketMs) => `${cluster}.delay.${bucketMs}`,
    drop: `${cluster}.drop`,
    lost: `${cluster}.lost`,
    rejected: `${cluster}.rejected`,
    control: `${cluster}.control`,
    events: `${cluster}.events`,
    actorQueue: (address) => `${cluster}.actor.${address}`,
    requestQueue: (address) => `${cluster}.requests.${address}`,
    controlQueue: (address, suffix) => `${cluster}.control.${address}.${suffix}`,
  };
}

export interface ExchangeSpec {
  name: string;
  type: "direct" | "topic" | "fanout" | "headers";
  options: Options.AssertExchange;
}

export interface QueueSpec {
  name: string;
  options: Options.AssertQueue;
  /** Bindings: source exchange, routing key, and (headers exchanges) arguments. */
  bindings: { exchange: string; routingKey: string; args?: Record<string, unknown> }[];
}

export interface TopologyTable {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
}

/**
 * Everything shared by the actors of a cluster (their own queues are declared
 * by their hosts). `expiring: false` leaves out the shared queues' `x-expires`:
 * for a broker that gets them from a definitions file (compose), where no
 * host re-declares them to keep them alive.
 */
export function topologyTable(
  names: ClusterNames,
  options: { expiring: boolean } = { expiring: true },
): TopologyTable {
  const expiry = options.expiring ? { "x-expires": sharedQueueExpiresMs } : {};
  const shared = (args: Record<string, unknown>): Options.AssertQueue => ({
    durable: true,
    arguments: { ...expiry, ...args },
  });
  const exchanges: ExchangeSpec[] = [
    // Unroutable messages (an address with no queue) are lost, so they are counted too.
    { name: names.lost, type: "fanout", options: { durable: true } },
    { name: names.net, type: "topic", options: { durable: true, alternateExchange: names.lost } },
    { name: names.peer, type: "direct", options: { durable: true, alternateExchange: names.lost } },
    { name: names.requests, type: "direct", options: { durable: true, alternateExchange: names.lost } },
    { name: names.delay, type: "headers", options: { durable: true, alternateExchange: names.lost } },
    { name: names.rejected, type: "fanout", options: { durable: true } },
    { name: names.control, type: "fanout", options: { durable: true } },
    { name: names.events, type: "topic", options: { durable: true } },
  ];
  const delayQueues: QueueSpec[] = delayBucketsMs.map((bucketMs) => ({
    name: names.delayQueue(bucketMs),
    // Dead-lettering keeps the routing key, which is the destination address.
    options: shared({ "x-message-ttl": bucketMs, "x-dead-letter-exchange": names.net }),
    bindings: [
      {
        exchange: names.delay,
        routingKey: "",
        args: { "x-match": "all", [faultPathHeader]: String(bucketMs) },
      },
    ],
  }));
  const queues: QueueSpec[] = [
    ...delayQueues,
    {
      name: names.drop,
      options: shared({ "x-message-ttl": 0, "x-dead-letter-exchange": names.lost }),
      bindings: [
        { exchange: names.delay, routingKey: "", args: { "x-match": "all", [faultPathHeader]: dropPath } },
      ],
    },
    {
      name: names.lost,
      options: shared({
        "x-max-length": lostQueueLengthMax,
        "x-max-length-bytes": lostQueueBytesMax,
        "x-message-ttl": inspectionMessageTtlMs,
        "x-overflow": "drop-head",
      }),
      bindings: [{ exchange: names.lost, routingKey: "" }],
    },
    {
      name: names.rejected,
      options: shared({
        "x-max-length": rejectedQueueLengthMax,
        "x-max-length-bytes": rejectedQueueBytesMax,
        "x-message-ttl": inspectionMessageTtlMs,
        "x-overflow": "drop-head",
      }),
      bindings: [{ exchange: names.rejected, routingKey: "" }],
    },
  ];
  return { exchanges, queues };
}

/**
 * What a connection of broker user `user` declares on connect: on an open
 * cluster every connection declares the topology (idempotent, and it keeps
 * the shared queues from expiring); on a secure one only the operator may
 * configure the cluster's exchanges (docs/SECURITY.md).
 */
export function topologyFor(names: ClusterNames, user: string): TopologyTable | null {
  const principal = principalOf(names.cluster, user);
  return principal === null || principal.kind === "operator" ? topologyTable(names) : null;
}

/**
 * Queue arguments of an actor's queues: stale traffic expires, and what
 * overflows or is refused by a node is lost (counted in `<c>.lost`). A
 * client's exclusive queue dead-letters nothing: a client user may not write
 * `<c>.lost`, and RabbitMQ asks for that to declare a queue dead-lettering there.
 */
export function actorQueueOptions(names: ClusterNames, exclusive: boolean): Options.AssertQueue {
  const bounds = { "x-max-length": actorQueueLengthMax, "x-max-length-bytes": actorQueueBytesMax };
  if (exclusive) {
    return {
      exclusive: true,
      durable: false,
      autoDelete: true,
      arguments: { "x-message-ttl": actorMessageTtlMs, ...bounds, "x-overflow": "reject-publish" },
    };
  }
  const args = {
    "x-message-ttl": actorMessageTtlMs,
    "x-dead-letter-exchange": names.lost,
    ...bounds,
    "x-overflow": "reject-publish-dlx",
    "x-expires": actorQueueExpiresMs,
  };
  return { durable: true, arguments: args };
}

/** A host's control queue: exclusive, bounded, commands expire (a command is only worth applying now). */
export function controlQueueOptions(): Options.AssertQueue {
  return {
    exclusive: true,
    durable: false,
    autoDelete: true,
    arguments: {
      "x-max-length": controlQueueLengthMax,
      "x-max-length-bytes": controlQueueBytesMax,
      "x-message-ttl": controlMessageTtlMs,
      "x-overflow": "reject-publish",
    },
  };
}

export async function declareTopology(channel: Channel, table: TopologyTable): Promise<void> {
  for (const exchange of table.exchanges) {
    await channel.assertExchange(exchange.name, exchange.type, exchange.options);
  }
  for (const queue of table.queues) {
    await channel.assertQueue(queue.name, queue.options);
    for (const binding of queue.bindings) {
      await channel.bindQueue(queue.name, binding.exchange, binding.routingKey, binding.args);
    }
  }
}

/** What deleteTopology deleted (RabbitMQ does not say whether a name existed: these are the names tried). */
export interface DeletedTopology {
  queues: number;
  exchanges: number;
}

/**
 * Deletes the shared topology and the given actors' queues. Each deletion is
 * independent: a missing queue or exchange is not an error (the broker
 * answers delete of a missing one with ok on 3.x and 4.x).
 */
export async function deleteTopology(
  channel: Channel,
  names: ClusterNames,
  actorAddresses: readonly Address[],
): Promise<DeletedTopology> {
  const table = topologyTable(names);
  for (const address of actorAddresses) {
    await channel.deleteQueue(names.actorQueue(address));
    await channel.deleteQueue(names.requestQueue(address));
  }
  for (const queue of table.queues) await channel.deleteQueue(queue.name);
  for (const exchange of table.exchanges) await channel.deleteExchange(exchange.name);
  return { queues: 2 * actorAddresses.length + table.queues.length, exchanges: table.exchanges.length };
}
