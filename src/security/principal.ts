// Who may speak as whom (docs/SECURITY.md). A secure cluster gives every
// party its own broker user, named after the cluster so that several clusters
// share a broker: `<c>.node.<address>` for each node of the protocol's layout
// (pb's view server and servers, VR's replicas), `<c>.operator` for whoever
// runs the cluster (faults, status, the dashboard, its own clients) and
// `<c>.client.<name>` for each client user `npm run user -- add NAME` made.
// RabbitMQ stamps nothing itself: every publish sets the AMQP `user_id`, the
// broker refuses one that is not the connection's user, and receivers read
// the principal from it, never from the `from` a sender wrote.
import { customAlphabet } from "nanoid";
import { z } from "zod";
import { type Address, operatorClientPrefix } from "../schemas/address.js";

/** A client user's name: it becomes part of its client addresses (`client-<name>-<id>`), so no `-`. */
export const clientNamePattern = /^[a-z0-9_]{1,32}$/;
export const ClientName = z
  .string()
  .regex(clientNamePattern, "a client user's name is 1-32 lower-case letters, digits and '_'");

/** Names a principal cannot take as a client user (they would read like another party's). */
export const reservedClientNames: readonly string[] = ["operator", "node"];

export type Principal =
  | { readonly kind: "node"; readonly address: Address }
  | { readonly kind: "operator" }
  | { readonly kind: "client"; readonly name: string };

/** The cluster's virtual host: one per secure cluster, where guest has no permissions. */
export function vhostOf(cluster: string): string {
  return `pbkv-${cluster}`;
}

/** The broker user of a principal of `cluster`. */
export function brokerUserOf(cluster: string, principal: Principal): string {
  switch (principal.kind) {
    case "node":
      return `${cluster}.node.${principal.address}`;
    case "operator":
      return `${cluster}.operator`;
    case "client":
      return `${cluster}.client.${principal.name}`;
  }
}

/** The principal a broker user of `cluster` is, or null for any other user (guest, another cluster's). */
export function principalOf(cluster: string, user: string | undefined): Principal | null {
  if (user === undefined || !user.startsWith(`${cluster}.`)) return null;
  const rest = user.slice(cluster.length + 1);
  if (rest === "operator") return { kind: "operator" };
  const node = /^node\.([A-Za-z0-9][A-Za-z0-9_-]*)$/.exec(rest);
  if (node?.[1] !== undefined) return { kind: "node", address: node[1] };
  const client = /^client\.(.+)$/.exec(rest);
  if (
    client?.[1] !== undefined &&
    clientNamePattern.test(client[1]) &&
    !reservedClientNames.includes(client[1])
  )
    return { kind: "client", name: client[1] };
  return null;
}

/**
 * Whether `user` is one of the cluster's principals, so that the cluster is
 * secure and its receivers hold every sender to the broker's `user_id`; an
 * open cluster's receivers never read it (its hosts need not send it).
 */
export function isPrincipalOf(cluster: string, user: string): boolean {
  return principalOf(cluster, user) !== null;
}

/** What every client address of this principal starts with: `client-` in an open cluster. */
export function clientAddressPrefix(principal: Principal | null): string {
  if (principal === null) return "client-";
  switch (principal.kind) {
    case "operator":
      return operatorClientPrefix;
    case "client":
      return `client-${principal.name}-`;
    case "node":
      // A node's own clients (none today) would still be told apart from real clients.
      return `client-${principal.address}-`;
  }
}

/** Whether `user` is one of `cluster`'s client users (who may not read events nor command faults). */
export function isClientUser(cluster: string, user: string): boolean {
  return principalOf(cluster, user)?.kind === "client";
}

/**
 * The random part of a client address: nanoid's alphabet without `-`, so that
 * only a client group's members end in `--<n>` (src/broker/clientInbox.ts).
 */
const clientAddressId = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", 12);

/** A fresh, single-use client address for a connection of `user` to `cluster` (DESIGN §4.1). */
export function newClientAddress(cluster: string, user: string): Address {
  return `${clientAddressPrefix(principalOf(cluster, user))}${clientAddressId()}`;
}

/**
 * A fresh address of the operator's clients (`client-operator-*`, the only
 * senders VR replicas take Reconfigure from) for a connection of `user`. On
 * an open cluster the user is no principal (guest): anyone may speak as
 * anyone there, the operator included. On a secure cluster it is the
 * user's own prefix, which replicas refuse unless the user is the operator.
 */
export function newOperatorAddress(cluster: string, user: string): Address {
  const principal = principalOf(cluster, user) ?? { kind: "operator" };
  return `${clientAddressPrefix(principal)}${clientAddressId()}`;
}

/** Null when `principal` may send as `from`; otherwise why not, in one line. */
export function senderRefusal(
  cluster: string,
  principal: Principal | null,
  user: string | undefined,
  from: Address,
): string | null {
  if (user === undefined) return `no user_id: a secure cluster takes only messages stamped by the broker`;
  if (principal === null) return `user_id ${JSON.stringify(user)} is not a user of cluster ${cluster}`;
  if (principal.kind === "node") {
    return principal.address === from
      ? null
      : `user ${user} may speak only as ${principal.address}, not as ${from}`;
  }
  const prefix = clientAddressPrefix(principal);
  return from.startsWith(prefix) && from.length > prefix.length
    ? null
    : `user ${user} may speak only as ${prefix}*, not as ${from}`;
}
