// Finding a broker (DESIGN §6), in order: an explicit URL (`--url`, else
// RABBITMQ_URL) that names a user of this cluster; the access record of a
// secure cluster of this name running on this machine (its operator's URL),
// when no URL was given or the given one names the same broker; the given
// URL; the private broker a running cluster of this name started; a broker
// on amqp://127.0.0.1:5672 (PBKV_LOCAL_BROKER); a
// command that starts a cluster may then start a private broker from an
// installed rabbitmq-server, else a RabbitMQ container where Docker is
// available; otherwise a clear error saying how to provide one.
import { principalOf } from "../security/principal.js";
import { liveAccessRecord } from "../security/record.js";
import { brokerUserOfUrl, redactUrl } from "./connection.js";
import { isPortOpen } from "./ports.js";
import {
  findRabbitmqServer,
  livePrivateBroker,
  type PrivateBrokerRecord,
  startPrivateBroker,
} from "./privateBroker.js";

/** Where a broker of this machine is looked for (PBKV_LOCAL_BROKER moves it, e.g. to test without one). */
export const localBrokerUrl = process.env["PBKV_LOCAL_BROKER"] || "amqp://guest:guest@127.0.0.1:5672";
/** The image of the container fallback (the management image, as in compose.yaml). */
export const containerImage = "rabbitmq:4-management";

export type BrokerSource =
  "--url" | "RABBITMQ_URL" | "access record" | "local broker" | "private broker" | "container";

export interface DiscoveredBroker {
  url: string;
  source: BrokerSource;
  /** The container's id when discovery started one (for `docker exec … rabbitmqctl`). */
  containerId?: string;
  /** The private broker's record (for its own `rabbitmqctl -n NODE`). */
  privateBroker?: PrivateBrokerRecord;
  /** Stops what discovery started (the private broker or the container); a no-op otherwise. */
  stop(): Promise<void>;
}

export class NoBrokerError extends Error {
  override readonly name = "NoBrokerError";
}

export interface DiscoveryOptions {
  /** `--url`, when given. */
  url?: string | undefined;
  /** The cluster's name: its private broker, if it started one, is found by it. */
  cluster: string;
  /** Whether a private broker or a container may be started (for a command that starts a cluster). */
  mayStart: boolean;
  /** Whether a running secure cluster's access record counts (not for the command that starts one). */
  useAccessRecord?: boolean;
  /** Told what discovery is doing (e.g. "starting a RabbitMQ container"). */
  onProgress?: (message: string) => void;
}

export const noBrokerHelp = [
  "No RabbitMQ broker found. Provide one in any of these ways:",
  "  - pass --url amqp://USER:PASS@HOST:5672 or set RABBITMQ_URL",
  "  - install rabbitmq-server (Debian: apt-get install rabbitmq-server): npm run cluster starts a private broker from it",
  "  - run a broker locally on port 5672 (rabbitmq-server -detached)",
  `  - start one in Docker: docker run -d --name rabbitmq -p 5672:5672 ${containerImage}`,
  "  - or run the whole cluster in containers: npm run compose:init && docker compose up --build",
  "For a first look without any broker: npm run cluster -- --transport memory",
].join("\n");

export async function discoverBroker(options: DiscoveryOptions): Promise<DiscoveredBroker> {
  const none = async (): Promise<void> => {};
  const given = givenUrl(options.url);
  const cluster = options.cluster;
  // A URL naming one of this cluster's users (a client user's, a node's from its supervisor) is meant for it.
  if (given !== null && principalOf(cluster, brokerUserOfUrl(given.url)) !== null)
    return { ...given, stop: none };
  // Otherwise a URL names the broker: on a secure cluster running from this machine, its operator's access.
  const record = options.useAccessRecord === false ? null : liveAccessRecord(cluster);
  if (record !== null && (given === null || sameBroker(given.url, record.brokerUrl)))
    return { url: record.operatorUrl, source: "access record", stop: none };
  if (given !== null) return { ...given, stop: none };
  const privateBroker = await livePrivateBroker(options.cluster);
  if (privateBroker !== null)
    return { url: privateBroker.url, source: "private broker", privateBroker, stop: none };
  const local = new URL(localBrokerUrl);
  if (await isPortOpen(local.hostname, Number(local.port || 5672))) {
    return { url: localBrokerUrl, source: "local broker", stop: none };
  }
  if (options.mayStart) {
    const started = await startOwnBroker(options.cluster, options.onProgress);
    if (started !== null) return started;
  }
  throw new NoBrokerError(noBrokerHelp);
}

/** `--url`, else RABBITMQ_URL, else null. */
function givenUrl(url: string | undefined): { url: string; source: BrokerSource } | null {
  if (url !== undefined && url !== "") return { url, source: "--url" };
  const fromEnvironment = process.env["RABBITMQ_URL"] ?? "";
  return fromEnvironment === "" ? null : { url: fromEnvironment, source: "RABBITMQ_URL" };
}

/** Whether two AMQP URLs reach the same broker (host and port; the user and vhost aside). */
function sameBroker(a: string, b: string): boolean {
  const endpoint = (text: string): string => {
    const url = new URL(text);
    const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname;
    return `${host}:${url.port || (url.protocol === "amqps:" ? "5671" : "5672")}`;
  };
  try {
    return endpoint(a) === endpoint(b);
  } catch {
    return false;
  }
}

/**
 * A broker of this command's own: a private broker, else a container; null
 * when neither can be had. For `npm run cluster` when the broker discovery
 * found cannot be administered from here (its users cannot be made).
 */
export async function startOwnBroker(
  cluster: string,
  onProgress?: (message: string) => void,
): Promise<DiscoveredBroker | null> {
  return (await startPrivate(cluster, onProgress)) ?? (await startContainer(onProgress));
}

/** A private broker from an installed rabbitmq-server; null when none is installed. */
async function startPrivate(
  cluster: string,
  onProgress?: (message: string) => void,
): Promise<DiscoveredBroker | null> {
  const serverScript = findRabbitmqServer();
  if (serverScript === null) return null;
  const broker = await startPrivateBroker(cluster, serverScript, onProgress);
  return {
    url: broker.record.url,
    source: "private broker",
    privateBroker: broker.record,
    stop: broker.stop,
  };
}

/**
 * Starts `rabbitmq:4-management` with testcontainers (a dev dependency,
 * loaded only here). Null when testcontainers is not installed or no
 * container runtime answers.
 */
export async function startContainer(
  onProgress?: (message: string) => void,
): Promise<DiscoveredBroker | null> {
  let modules: [typeof import("testcontainers"), typeof import("@testcontainers/rabbitmq")];
  try {
    modules = await Promise.all([import("testcontainers"), import("@testcontainers/rabbitmq")]);
  } catch {
    return null;
  }
  const [testcontainers, rabbitmq] = modules;
  try {
    await testcontainers.getContainerRuntimeClient();
  } catch {
    return null; // no Docker (or compatible) engine
  }
  onProgress?.(`starting a ${containerImage} container with testcontainers`);
  const container = await new rabbitmq.RabbitMQContainer(containerImage).start();
  const url = container.getAmqpUrl();
  onProgress?.(`RabbitMQ container ready at ${redactUrl(url)}`);
  return {
    url,
    source: "container",
    containerId: container.getId(),
    stop: async () => {
      await container.stop();
    },
  };
}
