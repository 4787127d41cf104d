// Finding a broker (DESIGN §6), in order: an explicit URL (`--url`), then
// RABBITMQ_URL, then a broker on amqp://127.0.0.1:5672, then a RabbitMQ
// container started with testcontainers where Docker is available; otherwise
// a clear error saying how to provide one.
import net from "node:net";
import { redactUrl } from "./connection.js";

export const localBrokerUrl = "amqp://guest:guest@127.0.0.1:5672";
/** The image of the container fallback (the management image, as in compose.yaml). */
export const containerImage = "rabbitmq:4-management";
const probeTimeoutMs = 1_000;

export type BrokerSource = "--url" | "RABBITMQ_URL" | "local broker" | "container";

export interface DiscoveredBroker {
  url: string;
  source: BrokerSource;
  /** The container's id when discovery started one (for `docker exec … rabbitmqctl`). */
  containerId?: string;
  /** Stops what discovery started (the container); a no-op otherwise. */
  stop(): Promise<void>;
}

export class NoBrokerError extends Error {
  override readonly name = "NoBrokerError";
}

export interface DiscoveryOptions {
  /** `--url`, when given. */
  url?: string | undefined;
  /** Whether a container may be started (only worth it for a command that starts a cluster). */
  allowContainer: boolean;
  /** Told what discovery is doing (e.g. "starting a RabbitMQ container"). */
  onProgress?: (message: string) => void;
}

export const noBrokerHelp = [
  "No RabbitMQ broker found. Provide one in any of these ways:",
  "  - pass --url amqp://USER:PASS@HOST:5672 or set RABBITMQ_URL",
  "  - run a broker locally on port 5672 (Debian: apt-get install rabbitmq-server; rabbitmq-server -detached)",
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
  if (await isPortOpen("127.0.0.1", 5672)) return { url: localBrokerUrl, source: "local broker", stop: none };
  if (options.allowContainer) {
    const container = await startContainer(options.onProgress);
    if (container !== null) return container;
  }
  throw new NoBrokerError(noBrokerHelp);
}

/** True when something accepts TCP connections there (a cheap test before AMQP). */
export function isPortOpen(host: string, port: number, timeoutMs = probeTimeoutMs): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
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
