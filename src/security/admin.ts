// Administering the broker of a secure cluster (docs/SECURITY.md): importing
// its definitions (vhost, users, permissions) and deleting them again. Two
// ways in: `rabbitmqctl` (this machine's broker, a private broker's own node,
// a container's) or the management HTTP API given an admin URL. AMQP itself
// cannot create users or vhosts, so a broker reached by neither stays open.
import { z } from "zod";
import type { DiscoveredBroker } from "../broker/discovery.js";
import { type BrokerControlTarget, rabbitmqctl } from "../chaos/brokerControl.js";
import type { Definitions } from "./definitions.js";

export interface BrokerAdmin {
  /** How the broker is administered, for messages (never a password). */
  readonly describe: string;
  /** What to record to administer it again from another command (src/security/record.ts). */
  readonly target: AdminTarget;
  /** Creates or updates what `definitions` holds. The broker may apply it after returning (rabbitmqctl). */
  importDefinitions(definitions: Definitions): Promise<void>;
  /** The names of every user of the broker. */
  listUsers(): Promise<string[]>;
  /** Deletes the vhost with everything in it (its connections are closed); a missing one is no error. */
  deleteVhost(vhost: string): Promise<void>;
  /** Deletes the users (the broker closes their connections); missing ones are no error. */
  deleteUsers(users: readonly string[]): Promise<void>;
  /** How many connections the vhost has (0 for a missing one): a running cluster's nodes are connected. */
  vhostConnections(vhost: string): Promise<number>;
}

export const AdminTarget = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("rabbitmqctl"),
    control: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("local") }),
      z.object({ kind: z.literal("container"), containerId: z.string().min(1) }),
      z.object({ kind: z.literal("private"), nodeName: z.string(), ctlScript: z.string(), home: z.string() }),
    ]),
  }),
  /** `http(s)://USER:PASS@HOST:15672`, credentials included. */
  z.object({ kind: z.literal("management"), url: z.string().url() }),
]);
export type AdminTarget = z.infer<typeof AdminTarget>;

/** No way to administer the broker; the message says why and what would do. */
export class NoBrokerAdminError extends Error {
  override readonly name = "NoBrokerAdminError";
}

/** The broker refused or failed an administrative call. */
export class BrokerAdminError extends Error {
  override readonly name = "BrokerAdminError";
}

/** The administrator of a recorded target. */
export function adminOf(target: AdminTarget): BrokerAdmin {
  return target.kind === "management" ? managementAdmin(target.url) : rabbitmqctlAdmin(target.control);
}

const loopbackHosts = ["127.0.0.1", "localhost", "[::1]"];

/**
 * How to administer the broker discovery found: `adminUrl` (the management
 * API) when given, else a private broker's or a container's own rabbitmqctl,
 * else this machine's rabbitmqctl when its node is the broker of a loopback
 * URL. Throws NoBrokerAdminError saying why none fits.
 */
export async function adminFor(broker: DiscoveredBroker, adminUrl?: string): Promise<BrokerAdmin> {
  if (adminUrl !== undefined && adminUrl !== "") return managementAdmin(adminUrl);
  const { privateBroker, containerId } = broker;
  if (privateBroker !== undefined) {
    const { nodeName, ctlScript, dataDirectory } = privateBroker;
    return rabbitmqctlAdmin({ kind: "private", nodeName, ctlScript, home: dataDirectory });
  }
  if (containerId !== undefined) return rabbitmqctlAdmin({ kind: "container", containerId });
  const url = new URL(broker.url);
  const advice = "give the management API's URL (http://ADMIN:PASS@HOST:15672) or run the cluster insecure";
  if (!loopbackHosts.includes(url.hostname)) {
    throw new NoBrokerAdminError(`the broker at ${url.host} is not on this machine: ${advice}`);
  }
  const port = Number(url.port || (url.protocol === "amqps:" ? 5671 : 5672));
  const why = await localNodeRefusal(port);
  if (why !== null) throw new NoBrokerAdminError(`${why}: ${advice}`);
  return rabbitmqctlAdmin({ kind: "local" });
}

const StatusListeners = z.object({
  listeners: z.array(z.object({ port: z.number(), protocol: z.string() }).passthrough()),
});

/** Null when this machine's rabbitmqctl answers and its node serves AMQP on `port`; otherwise why not. */
async function localNodeRefusal(port: number): Promise<string | null> {
  let status: z.infer<typeof StatusListeners>;
  try {
    const output = await rabbitmqctl({ kind: "local" }, ["-q", "status", "--formatter", "json"]);
    status = StatusListeners.parse(JSON.parse(output));
  } catch (error) {
    return `rabbitmqctl on this machine does not answer (${firstLine(error)})`;
  }
  const serves = status.listeners.some(
    (listener) => listener.protocol.startsWith("amqp") && listener.port === port,
  );
  return serves ? null : `the node rabbitmqctl reaches on this machine does not listen on port ${port}`;
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim();
  const text = stderr !== undefined && stderr !== "" ? stderr : (error as Error).message;
  return (
    text
      .replace(/^Error:\s*/, "")
      .split("\n")
      .find((line) => line.trim() !== "") ?? "unknown error"
  );
}

const ListedUsers = z.array(z.object({ user: z.string() }).passthrough());
const ListedConnections = z.array(z.object({ vhost: z.string() }).passthrough());
/** rabbitmqctl's message when a deleted vhost or user is already gone (3.x and 4.x). */
const missing = /does not exist/;

/** Over `rabbitmqctl`: ~0.6 s a call, so definitions go in one import and deletions run in parallel. */
export function rabbitmqctlAdmin(control: Exclude<BrokerControlTarget, { kind: "none" }>): BrokerAdmin {
  const run = async (args: string[], input?: string): Promise<string> => {
    try {
      return await rabbitmqctl(control, ["-q", ...args], input);
    } catch (error) {
      throw new BrokerAdminError(`rabbitmqctl ${args[0]} failed: ${firstLine(error)}`, { cause: error });
    }
  };
  const tolerateMissing = (error: unknown): void => {
    if (!(error instanceof BrokerAdminError && missing.test(error.message))) throw error;
  };
  return {
    describe: describeControl(control),
    target: { kind: "rabbitmqctl", control },
    // From standard input: a file's path would be opened by the broker's own user, not by us.
    importDefinitions: async (definitions) =>
      void (await run(["import_definitions"], JSON.stringify(definitions))),
    listUsers: async () =>
      ListedUsers.parse(JSON.parse(await run(["list_users", "--formatter", "json"]))).map((row) => row.user),
    deleteVhost: (vhost) => run(["delete_vhost", vhost]).then(() => undefined, tolerateMissing),
    deleteUsers: async (users) => {
      await Promise.all(
        users.map((user) => run(["delete_user", user]).then(() => undefined, tolerateMissing)),
      );
    },
    vhostConnections: async (vhost) =>
      ListedConnections.parse(
        JSON.parse(await run(["list_connections", "vhost", "--formatter", "json"])),
      ).filter((row) => row.vhost === vhost).length,
  };
}

function describeControl(control: Exclude<BrokerControlTarget, { kind: "none" }>): string {
  switch (control.kind) {
    case "local":
      return "rabbitmqctl on this machine";
    case "container":
      return `rabbitmqctl in container ${control.containerId.slice(0, 12)}`;
    case "private":
      return `rabbitmqctl of the private broker ${control.nodeName}`;
  }
}

const managementTimeoutMs = 30_000;
const ManagementUsers = z.array(z.object({ name: z.string() }).passthrough());

/** Over the management HTTP API (`http(s)://USER:PASS@HOST:15672`): one request per operation. */
export function managementAdmin(adminUrl: string): BrokerAdmin {
  const parsed = new URL(adminUrl);
  if (!["http:", "https:"].includes(parsed.protocol) || parsed.username === "") {
    throw new NoBrokerAdminError("the admin URL must be http(s)://USER:PASS@HOST:15672");
  }
  const adminUser = decodeURIComponent(parsed.username);
  const credentials = `${adminUser}:${decodeURIComponent(parsed.password)}`;
  const authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  const base = `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}/api`;
  const request = async (method: string, path: string, body?: unknown, tolerated = 0): Promise<Response> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(managementTimeoutMs),
    }).catch((error: unknown) => {
      throw new BrokerAdminError(`${method} ${base}${path}: ${(error as Error).message}`, { cause: error });
    });
    if (response.ok || response.status === tolerated) return response;
    const text = (await response.text()).slice(0, 300);
    throw new BrokerAdminError(`${method} ${base}${path}: HTTP ${response.status} ${text}`);
  };
  return {
    describe: `the management API at ${base}`,
    target: { kind: "management", url: adminUrl },
    importDefinitions: async (definitions) => {
      await request("POST", "/definitions", definitions);
      // The API gives its caller full permissions on every vhost it creates (3.10): taken back, so
      // the cluster's principals are the only users of its vhost (guest too, when it is the caller).
      for (const { name } of definitions.vhosts) {
        const path = `/permissions/${encodeURIComponent(name)}/${encodeURIComponent(adminUser)}`;
        await request("DELETE", path, undefined, 404);
      }
    },
    listUsers: async () =>
      ManagementUsers.parse(await (await request("GET", "/users")).json()).map((row) => row.name),
    deleteVhost: async (vhost) =>
      void (await request("DELETE", `/vhosts/${encodeURIComponent(vhost)}`, undefined, 404)),
    deleteUsers: async (users) => {
      if (users.length === 0) return;
      // bulk-delete refuses the whole list (HTTP 400 no_such_user) when one of them is missing.
      const existing = ManagementUsers.parse(await (await request("GET", "/users")).json()).map(
        (row) => row.name,
      );
      const present = users.filter((user) => existing.includes(user));
      if (present.length > 0) await request("POST", "/users/bulk-delete", { users: present });
    },
    vhostConnections: async (vhost) => {
      const response = await request(
        "GET",
        `/vhosts/${encodeURIComponent(vhost)}/connections`,
        undefined,
        404,
      );
      return response.status === 404 ? 0 : z.array(z.unknown()).parse(await response.json()).length;
    },
  };
}
