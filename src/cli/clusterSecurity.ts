// How `npm run cluster` secures its cluster (issue 17, docs/SECURITY.md): by
// default it gives the cluster its own vhost and a broker user per node and
// for the operator (itself), hands each node process its own URL, and leaves
// an access record so that the person who started it reaches it from this
// machine with no flags; `--insecure` keeps the open mode of old, with a
// warning. Everything it made is deleted when the cluster stops.
import { type DiscoveredBroker, startOwnBroker } from "../broker/discovery.js";
import type { ClusterNames } from "../broker/topology.js";
import type { Address } from "../schemas/address.js";
import { adminFor, type BrokerAdmin, NoBrokerAdminError } from "../security/admin.js";
import { brokerUserOf, vhostOf } from "../security/principal.js";
import {
  clusterUsersOf,
  type ProvisionedCluster,
  provisionCluster,
  teardownCluster,
} from "../security/provision.js";
import { liveAccessRecord, removeAccessRecord, writeAccessRecord } from "../security/record.js";
import { CommandError, exitCodes } from "./exitCodes.js";

export const insecureWarning =
  "warning: --insecure: any user of this broker may read every value, forge any node's messages and inject faults (docs/SECURITY.md)";

/** What the cluster's processes connect with. */
export interface ClusterAccess {
  /** The supervisor's own URL (the operator's on a secure cluster). */
  readonly url: string;
  /** Each node's URL on a secure cluster. */
  readonly nodeUrls?: ReadonlyMap<Address, string>;
  /** Null on an --insecure cluster. */
  readonly secure: SecureCluster | null;
}

interface SecureCluster {
  readonly admin: BrokerAdmin;
  readonly provisioned: ProvisionedCluster;
}

export interface AccessRequest {
  readonly names: ClusterNames;
  readonly broker: DiscoveredBroker;
  readonly nodes: readonly Address[];
  /** How to make its users (brokerForCluster found it); null: an --insecure cluster. */
  readonly admin: BrokerAdmin | null;
}

/** The broker a cluster runs on, and how its users are made (null: --insecure, or nothing could). */
export interface ChosenBroker {
  readonly broker: DiscoveredBroker;
  readonly admin: BrokerAdmin | null;
}

/**
 * How the cluster's users will be made on the broker discovery found. A
 * broker that was named (`--url`, `RABBITMQ_URL`) and cannot be administered
 * is refused (exit 2: `--admin-url`, or `--insecure`). One discovery found on
 * this machine that cannot (its rabbitmqctl needs root, say) gives way to a
 * private broker or container of the cluster's own, so that the README's
 * `npm run cluster` stays secure; with neither to be had the cluster runs
 * open, and says why in its warning line.
 */
export async function brokerForCluster(
  found: DiscoveredBroker,
  options: { cluster: string; insecure: boolean; adminUrl?: string | undefined; say: (line: string) => void },
): Promise<ChosenBroker> {
  if (options.insecure) return { broker: found, admin: null };
  try {
    return { broker: found, admin: await adminFor(found, options.adminUrl) };
  } catch (error) {
    if (!(error instanceof NoBrokerAdminError)) throw error;
    if (found.source !== "local broker") {
      throw new CommandError(
        `cannot make the cluster's broker users: ${error.message} (--admin-url URL, or --insecure for an open cluster)`,
        exitCodes.usage,
      );
    }
    options.say(
      `the local broker cannot be administered from here (${error.message}): starting a broker of the cluster's own`,
    );
    const own = await startOwnBroker(options.cluster, options.say);
    if (own !== null) return { broker: own, admin: await adminFor(own) };
    options.say(
      `warning: no broker of its own to be had either: the cluster runs open. ${insecureWarning.replace(/^warning: --insecure: /, "")}`,
    );
    return { broker: found, admin: null };
  }
}

/**
 * Makes the cluster's users and vhost (or, --insecure, nothing). Refuses,
 * touching nothing, when a cluster of this name runs from this machine or
 * its vhost has connections: a second start must not take its users away.
 */
export async function openClusterAccess(request: AccessRequest): Promise<ClusterAccess> {
  const { names, broker, admin } = request;
  if (admin === null) return { url: broker.url, secure: null };
  const running = liveAccessRecord(names.cluster);
  if (running !== null) {
    throw new CommandError(
      `cluster "${names.cluster}" is already running on this machine (process ${running.ownerPid}); stop it first or pick another --cluster`,
    );
  }
  if ((await admin.vhostConnections(vhostOf(names.cluster))) > 0) {
    throw new CommandError(
      `cluster "${names.cluster}" is already running on this broker (its vhost has connections); stop it first or pick another --cluster`,
    );
  }
  const provisioned = await provisionCluster(admin, { names, brokerUrl: broker.url, nodes: request.nodes });
  writeAccessRecord({
    cluster: names.cluster,
    brokerUrl: broker.url,
    vhost: provisioned.vhost,
    operatorUrl: provisioned.operatorUrl,
    nodeUrls: Object.fromEntries(provisioned.nodeUrls),
    clientUsers: [],
    admin: admin.target,
    ownerPid: process.pid,
  });
  return { url: provisioned.operatorUrl, nodeUrls: provisioned.nodeUrls, secure: { admin, provisioned } };
}

/**
 * Deletes the vhost (its queues and exchanges with it) and every user of the
 * cluster, client users added meanwhile included; null when nothing was
 * secure. Returns what it deleted, in words.
 */
export async function closeClusterAccess(access: ClusterAccess, names: ClusterNames): Promise<string | null> {
  const secure = access.secure;
  if (secure === null) return null;
  const record = liveAccessRecord(names.cluster);
  const clientUsers = (record?.clientUsers ?? []).map((name) =>
    brokerUserOf(names.cluster, { kind: "client", name }),
  );
  removeAccessRecord(names.cluster);
  const users = [...secure.provisioned.users, ...clientUsers];
  await teardownCluster(secure.admin, secure.provisioned.vhost, users);
  return `vhost ${secure.provisioned.vhost} with its queues and exchanges, and ${users.length} broker users`;
}

/**
 * `--purge` of a secure cluster left behind (its owner killed): its vhost and
 * every broker user of its name. Says what it did, or why it could not.
 */
export async function purgeClusterAccess(
  names: ClusterNames,
  broker: DiscoveredBroker,
  adminUrl: string | undefined,
): Promise<string> {
  let admin: BrokerAdmin;
  try {
    admin = await adminFor(broker, adminUrl);
  } catch (error) {
    if (!(error instanceof NoBrokerAdminError)) throw error;
    return `no secure vhost or users of "${names.cluster}" looked for: ${error.message}`;
  }
  const vhost = vhostOf(names.cluster);
  if ((await admin.vhostConnections(vhost)) > 0) {
    throw new CommandError(
      `cluster "${names.cluster}" is running (its vhost has connections): stop it first`,
    );
  }
  const users = await clusterUsersOf(admin, names.cluster);
  await teardownCluster(admin, vhost, users);
  removeAccessRecord(names.cluster);
  return `deleted vhost ${vhost} (if it was there) and ${users.length} broker users of "${names.cluster}"`;
}
