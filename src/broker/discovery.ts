// Finding a broker (DESIGN §6), in order: an explicit URL (`--url`), then
// RABBITMQ_URL, then the private broker a running cluster of this name
// started, then a broker on amqp://127.0.0.1:5672 (PBKV_LOCAL_BROKER); a
// command that starts a cluster may then start a private broker from an
// installed rabbitmq-server, else a RabbitMQ container where Docker is
// available; otherwise a clear error saying how to provide one.
import { redactUrl } from "./connection.js";
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

export type BrokerSource = "--url" | "RABBITMQ_URL" | "local broker" | "private broker" | "container";

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
  /** Told what discovery is doing (e.g. "starting a RabbitMQ container"). */
  onProgress?: (message: string) => void;
}

export const noBrokerHelp = [
  "No RabbitMQ broker found. Provide one in any of these ways:",
  "  - pass --url amqp://USER:PASS@HOST:5672 or set RABBITMQ_URL",
  "  - install rabbitmq-server (Debian: apt-get install rabbitmq-server): npm run cluster starts a private broker from it",
  "  - run a broker locally on port 5672 (rabbitmq-server -detached)",
  `  - start one in Docker: docker run -d --name rabbitmq -p 5672:5672 ${containerImage}`,
  "  - or run the whole cluster in containers: docker compose up",
  "For a first look without any broker: npm run cluster -- --transport memory",
].join("\n");

export async function discoverBroker(options: DiscoveryOptions): Promise<DiscoveredBroker> {
  const none = async (): Promise<void> => {};
  if (options.url !== undefined && options.url !== "")
    return { url: options.url, source: "--url", stop: none };
  const fromEnvironment = process.env["RABBITMQ_URL"];
  if (fromEnvironment !== undefined && fromEnvironment !== "") {
    return { url: fromEnvironment, source: "RABBITMQ_URL", stop: none };
  }
  const privateBroker = await livePrivateBroker(options.cluster);
  if (privateBroker !== null)
    return { url: privateBroker.url, source: "private broker", privateBroker, stop: none };
  const local = new URL(localBrokerUrl);
  if (await isPortOpen(local.hostname, Number(local.port || 5672))) {
    return { url: localBrokerUrl, source: "local broker", stop: none };
  }
  if (options.mayStart) {
    const started = await startPrivate(options.cluster, options.onProgress);
    if (started !== null) return started;
    const container = await startContainer(options.onProgress);
    if (container !== null) return container;
  }
  throw new NoBrokerError(noBrokerHelp);
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
