// Provisioning a secure cluster on its broker (docs/SECURITY.md): its vhost,
// a user per node and the operator, each with a fresh random password, in one
// definitions import; client users added and removed while it runs; all of it
// deleted when it stops. The URLs handed out carry the user, password and vhost.
import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import type { ClusterNames } from "../broker/topology.js";
import type { Address } from "../schemas/address.js";
import type { BrokerAdmin } from "./admin.js";
import {
  clusterDefinitions,
  type Credential,
  credentialOf,
  type RandomBytes,
  userDefinitions,
} from "./definitions.js";
import {
  brokerUserOf,
  clientNamePattern,
  type Principal,
  principalOf,
  reservedClientNames,
  vhostOf,
} from "./principal.js";

/** How long a new user may take to be able to log in (rabbitmqctl's import runs after it returns). */
export const accessReadyTimeoutMs = 20_000;
const accessPollMs = 100;
const connectTimeoutMs = 2_000;

export interface ProvisionOptions {
  readonly names: ClusterNames;
  /** The broker's AMQP URL; its user, password and vhost are replaced in the URLs handed out. */
  readonly brokerUrl: string;
  readonly nodes: readonly Address[];
  /** Passwords and salts (node:crypto's randomBytes unless a test passes its own). */
  readonly random?: RandomBytes;
}

export interface ProvisionedCluster {
  readonly vhost: string;
  readonly operatorUrl: string;
  readonly nodeUrls: Map<Address, string>;
  /** Every broker user made (the operator's and the nodes'): what teardownCluster deletes. */
  readonly users: string[];
}

/** The new users could not log in in time: the broker did not apply the definitions. */
export class AccessNotReadyError extends Error {
  override readonly name = "AccessNotReadyError";
}

/** A client user's name that is malformed, reserved, or already a user of the broker. */
export class ClientNameRefusedError extends Error {
  override readonly name = "ClientNameRefusedError";
}

/**
 * Creates the cluster's vhost and users and waits until the operator can log
 * in. Users of this cluster left by an earlier run that was never torn down
 * (a killed owner) are deleted first: their passwords must not outlive it.
 * Should the new users never log in, what was made is deleted again.
 */
export async function provisionCluster(
  admin: BrokerAdmin,
  options: ProvisionOptions,
): Promise<ProvisionedCluster> {
  const { names, brokerUrl, nodes } = options;
  const random = options.random ?? randomBytes;
  const cluster = names.cluster;
  const vhost = vhostOf(cluster);
  const operator = credentialOf(cluster, { kind: "operator" }, random);
  const nodeCredentials = nodes.map((address) => credentialOf(cluster, { kind: "node", address }, random));
  const credentials = [operator, ...nodeCredentials];
  const users = credentials.map((credential) => credential.user);
  await admin.deleteUsers(await clusterUsersOf(admin, cluster));
  await admin.importDefinitions(clusterDefinitions(names, credentials, random));
  const operatorUrl = accessUrl(brokerUrl, operator, vhost);
  try {
    await waitUntilAccepted(operatorUrl, operator.user);
  } catch (error) {
    await teardownCluster(admin, vhost, users).catch(() => {}); // the error to report is the first
    throw error;
  }
  const nodeUrls = new Map(
    nodes.map((address, index) => [address, accessUrl(brokerUrl, nodeCredentials[index]!, vhost)] as const),
  );
  return { vhost, operatorUrl, nodeUrls, users };
}

/**
 * The broker's users that are principals of `cluster` (its nodes, operator and
 * client users), whatever any record says: what a teardown that must leave no
 * password behind deletes.
 */
export async function clusterUsersOf(admin: BrokerAdmin, cluster: string): Promise<string[]> {
  return (await admin.listUsers()).filter((user) => principalOf(cluster, user) !== null);
}

/** Deletes the cluster's vhost (closing its connections, dropping its queues) and its users. */
export async function teardownCluster(
  admin: BrokerAdmin,
  vhost: string,
  users: readonly string[],
): Promise<void> {
  await Promise.all([admin.deleteVhost(vhost), admin.deleteUsers(users)]);
}

/** Adds client user `name` to a running secure cluster; returns its AMQP URL once it can log in. */
export async function addClientUser(
  admin: BrokerAdmin,
  names: ClusterNames,
  brokerUrl: string,
  name: string,
  random: RandomBytes = randomBytes,
): Promise<string> {
  const principal = clientPrincipal(name);
  const credential = credentialOf(names.cluster, principal, random);
  if ((await admin.listUsers()).includes(credential.user)) {
    throw new ClientNameRefusedError(`client user ${name} exists already (broker user ${credential.user})`);
  }
  await admin.importDefinitions(userDefinitions(names, credential, random));
  const url = accessUrl(brokerUrl, credential, vhostOf(names.cluster));
  await waitUntilAccepted(url, credential.user);
  return url;
}

/** Deletes client user `name`; the broker closes its open connections as it deletes the user (3.10, 4.x). */
export async function removeClientUser(admin: BrokerAdmin, names: ClusterNames, name: string): Promise<void> {
  await admin.deleteUsers([brokerUserOf(names.cluster, clientPrincipal(name))]);
}

/** The client principal called `name`, or ClientNameRefusedError. */
export function clientPrincipal(name: string): Principal {
  if (!clientNamePattern.test(name)) {
    throw new ClientNameRefusedError(
      `invalid client user name ${JSON.stringify(name)}: 1-32 of a-z, 0-9, '_'`,
    );
  }
  if (reservedClientNames.includes(name)) {
    throw new ClientNameRefusedError(`${name} is reserved: choose another client user name`);
  }
  return { kind: "client", name };
}

/** `brokerUrl` with the credential's user and password and the vhost, percent-encoded. */
export function accessUrl(brokerUrl: string, credential: Credential, vhost: string): string {
  const url = new URL(brokerUrl);
  url.username = encodeURIComponent(credential.user);
  url.password = encodeURIComponent(credential.password);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return url.toString();
}

/** Resolves once `url` logs in (users imported by rabbitmqctl may not exist yet); else AccessNotReadyError. */
export async function waitUntilAccepted(url: string, user: string): Promise<void> {
  const deadline = Date.now() + accessReadyTimeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const connection = await amqp.connect(url, { timeout: connectTimeoutMs });
      await connection.close();
      return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, accessPollMs));
  }
  throw new AccessNotReadyError(
    `broker user ${user} could not log in within ${accessReadyTimeoutMs} ms: ${lastError}`,
  );
}
