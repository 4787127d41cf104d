// Least privilege (docs/SECURITY.md): what each principal of a secure cluster
// may configure, write and read in the cluster's virtual host, as RabbitMQ
// permission regexes, plus topic permissions on the topic exchanges (a direct
// exchange cannot be restricted by routing key, so `<c>.net` and `<c>.events`
// are topic exchanges). Names come from the topology table, so the two cannot
// drift apart. RabbitMQ grants every routing key on a topic exchange a user
// has no topic permission for: every user that may touch one gets one.
import type { ClusterNames } from "../broker/topology.js";
import { isServerAddress } from "../schemas/address.js";
import { type Principal, clientAddressPrefix } from "./principal.js";

export interface TopicPermission {
  readonly exchange: string;
  /** Routing keys it may publish with. */
  readonly write: string;
  /** Binding keys it may bind a queue with. */
  readonly read: string;
}

export interface UserPermissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
  readonly topics: readonly TopicPermission[];
}

/** Per-user limits (`rabbitmqctl set_user_limits`). */
export interface UserLimits {
  readonly "max-connections": number;
  readonly "max-channels": number;
}

/** Limits of the cluster's virtual host as a whole. */
export const vhostLimits = { "max-connections": 2_000, "max-queues": 20_000 } as const;

/**
 * The default exchange's name in permissions. Publishing there reaches any
 * queue by its name, which a node may already do through `<c>.net`; no queue
 * can be bound there, so it grants no reading.
 */
export const defaultExchange = "amq.default";

/** A regex that matches none of the names (RabbitMQ's own convention for "no permission"). */
export const nothing = "^$";
const addressTail = "[A-Za-z0-9_-]+";

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `^(a|b|…)$` over exact names (escaped) and patterns (as they are). */
function anyOf(exact: readonly string[], patterns: readonly string[] = []): string {
  return `^(${[...exact.map(escapeRegex), ...patterns].join("|")})$`;
}

export function permissionsOf(names: ClusterNames, principal: Principal): UserPermissions {
  switch (principal.kind) {
    case "node":
      return nodePermissions(names, principal.address);
    case "operator":
      return operatorPermissions(names);
    case "client":
      return clientPermissions(names, principal);
  }
}

export function userLimitsOf(principal: Principal): UserLimits {
  // A node needs one connection (two while it reconnects); a client user one per command it runs.
  if (principal.kind === "node") return { "max-connections": 4, "max-channels": 64 };
  if (principal.kind === "operator") return { "max-connections": 256, "max-channels": 4_096 };
  return { "max-connections": 64, "max-channels": 1_024 };
}

/**
 * A node declares and reads its own queues (actor, requests, control),
 * publishes to every actor (`<c>.net`, `<c>.delay`, and straight into their
 * queues through the default exchange, `amq.default`, while no one taps the
 * traffic: src/broker/tapLease.ts), to `<c>.events` as itself and to
 * `<c>.rejected`; it never configures shared exchanges, never publishes a
 * control command and binds `<c>.net` only with its own address.
 * A server also publishes to and binds `<c>.peer`, the servers' direct
 * exchange, where no topic permission can hold it to its own key: it could
 * bind its own queue with another server's address and read what servers
 * send each other, data the cluster's servers hold (or, as spares, are given).
 */
function nodePermissions(names: ClusterNames, address: string): UserPermissions {
  const own = [names.actorQueue(address), names.requestQueue(address)];
  const controlQueues = `${escapeRegex(names.controlQueue(address, ""))}${addressTail}`;
  const peer = isServerAddress(address) ? [names.peer] : [];
  return {
    configure: anyOf(own, [controlQueues]),
    // `<c>.lost` too: RabbitMQ asks for write on a queue's dead-letter exchange to declare it.
    write: anyOf(
      [...own, names.net, ...peer, defaultExchange, names.delay, names.events, names.rejected, names.lost],
      [controlQueues],
    ),
    read: anyOf([...own, names.net, ...peer, names.requests, names.control], [controlQueues]),
    topics: [
      { exchange: names.net, write: ".*", read: anyOf([address]) },
      { exchange: names.events, write: `^[A-Za-z]+\\.${escapeRegex(address)}$`, read: nothing },
    ],
  };
}

/**
 * The operator runs the cluster: it declares and deletes the topology,
 * publishes control commands, reads events, `<c>.lost` and `<c>.rejected`,
 * watches traffic (the dashboard's tap) and runs its own clients. Nodes
 * refuse anything it sends as a node (src/security/principal.ts).
 */
function operatorPermissions(names: ClusterNames): UserPermissions {
  const cluster = `${escapeRegex(names.cluster)}\\.`;
  return {
    configure: `^${cluster}.*$`,
    // Write on every name: the delay queues it declares dead-letter into `<c>.net`, and
    // RabbitMQ asks for write on a dead-letter exchange. Receivers still take
    // nothing from it but as its own clients and control commands.
    write: `^${cluster}.*$`,
    read: `^${cluster}.*$`,
    topics: [
      // It may watch any actor's traffic (the dashboard's --tap): the data is the operator's.
      { exchange: names.net, write: nothing, read: ".*" },
      { exchange: names.events, write: ".*", read: ".*" },
    ],
  };
}

/**
 * A client user declares and reads only its own client queues (exclusive,
 * named by its prefix), binds them to `<c>.net` with its own addresses only,
 * and publishes only requests and view queries (`<c>.requests`). It cannot
 * read `<c>.events`, `<c>.lost` or `<c>.rejected`, bind to another actor's
 * traffic, publish a control command or configure any exchange.
 */
function clientPermissions(names: ClusterNames, principal: Principal): UserPermissions {
  const prefix = clientAddressPrefix(principal);
  const queues = `${escapeRegex(names.actorQueue(prefix))}${addressTail}`;
  return {
    configure: anyOf([], [queues]),
    write: anyOf([names.requests], [queues]),
    read: anyOf([names.net], [queues]),
    topics: [
      { exchange: names.net, write: nothing, read: `^${escapeRegex(prefix)}${addressTail}$` },
      { exchange: names.events, write: nothing, read: nothing },
    ],
  };
}
