// The RabbitMQ definitions (the JSON `rabbitmqctl import_definitions` and
// `POST /api/definitions` take) of a secure cluster (docs/SECURITY.md): its
// virtual host and its limits, one user per principal with a salted password
// hash (the broker never sees a password in clear), each user's permissions,
// topic permissions and limits. One import creates all of it, instead of a
// dozen rabbitmqctl calls at 0.6 s each. Pure but for the randomness passed in.
import { createHash } from "node:crypto";
import type { ClusterNames } from "../broker/topology.js";
import { permissionsOf, userLimitsOf, vhostLimits } from "./permissions.js";
import { brokerUserOf, type Principal, vhostOf } from "./principal.js";

/** `size` random bytes (node:crypto's randomBytes; a seeded one in tests). */
export type RandomBytes = (size: number) => Buffer;

/** Bytes of a generated password (encoded base64url: 32 characters). */
export const passwordBytes = 24;
/** RabbitMQ's salt is 4 bytes (rabbit_password:generate_salt). */
export const saltBytes = 4;
export const hashingAlgorithm = "rabbit_password_hashing_sha256";

/** A principal's broker user and its password. */
export interface Credential {
  readonly principal: Principal;
  readonly user: string;
  readonly password: string;
}

export interface UserDefinition {
  name: string;
  password_hash: string;
  hashing_algorithm: typeof hashingAlgorithm;
  tags: string[];
  limits: Record<string, number>;
}

export interface Definitions {
  vhosts: { name: string }[];
  users: UserDefinition[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions: { user: string; vhost: string; exchange: string; write: string; read: string }[];
  parameters: { vhost: string; component: "vhost-limits"; name: "limits"; value: Record<string, number> }[];
}

export function generatePassword(random: RandomBytes): string {
  return random(passwordBytes).toString("base64url");
}

export function credentialOf(cluster: string, principal: Principal, random: RandomBytes): Credential {
  return { principal, user: brokerUserOf(cluster, principal), password: generatePassword(random) };
}

/** RabbitMQ's sha256 scheme: base64(salt ++ sha256(salt ++ utf8(password))). */
export function passwordHash(password: string, salt: Buffer): string {
  const digest = createHash("sha256").update(salt).update(password, "utf8").digest();
  return Buffer.concat([salt, digest]).toString("base64");
}

/** Whether `hash` (as passwordHash makes it) is the hash of `password`: recomputed with its own salt. */
export function hashMatches(hash: string, password: string): boolean {
  const salt = Buffer.from(hash, "base64").subarray(0, saltBytes);
  return salt.length === saltBytes && passwordHash(password, salt) === hash;
}

/** Everything a secure cluster needs: its vhost and limits, and every credential's user. */
export function clusterDefinitions(
  names: ClusterNames,
  credentials: readonly Credential[],
  random: RandomBytes,
): Definitions {
  const vhost = vhostOf(names.cluster);
  const users = usersDefinitions(names, credentials, random);
  return {
    ...users,
    vhosts: [{ name: vhost }],
    parameters: [{ vhost, component: "vhost-limits", name: "limits", value: { ...vhostLimits } }],
  };
}

/** One user added to a running secure cluster (its vhost exists already). */
export function userDefinitions(
  names: ClusterNames,
  credential: Credential,
  random: RandomBytes,
): Definitions {
  return usersDefinitions(names, [credential], random);
}

function usersDefinitions(
  names: ClusterNames,
  credentials: readonly Credential[],
  random: RandomBytes,
): Definitions {
  const vhost = vhostOf(names.cluster);
  const definitions: Definitions = {
    vhosts: [],
    users: [],
    permissions: [],
    topic_permissions: [],
    parameters: [],
  };
  for (const { principal, user, password } of credentials) {
    const permissions = permissionsOf(names, principal);
    definitions.users.push({
      name: user,
      password_hash: passwordHash(password, random(saltBytes)),
      hashing_algorithm: hashingAlgorithm,
      tags: [],
      limits: { ...userLimitsOf(principal) },
    });
    const { configure, write, read } = permissions;
    definitions.permissions.push({ user, vhost, configure, write, read });
    for (const topic of permissions.topics) definitions.topic_permissions.push({ user, vhost, ...topic });
  }
  return definitions;
}
