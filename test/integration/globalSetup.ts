// Finds a RabbitMQ broker for the integration tests, in order: RABBITMQ_URL,
// a broker on amqp://127.0.0.1:5672, a private broker started from an
// installed rabbitmq-server (its own node, ports and data, stopped after the
// run), a rabbitmq:4-management container from @testcontainers/rabbitmq;
// otherwise the run fails with a clear message (never a silent skip). Tests
// read the URL with `inject("amqpUrl")`.
import { execFileSync } from "node:child_process";
import amqp from "amqplib";
import type { TestProject } from "vitest/node";
import { localBrokerUrl, noBrokerHelp, startContainer } from "../../src/broker/discovery.js";
import { isPortOpen } from "../../src/broker/ports.js";
import { findRabbitmqServer, startPrivateBroker } from "../../src/broker/privateBroker.js";
import type { BrokerControlTarget } from "../../src/chaos/brokerControl.js";

declare module "vitest" {
  export interface ProvidedContext {
    amqpUrl: string;
    /** How tests reach `rabbitmqctl`: on this machine, the private broker's, inside the container, or not at all. */
    brokerControl: BrokerControlTarget;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stop = async (): Promise<void> => {};
  const fromEnvironment = process.env["RABBITMQ_URL"];
  const serverScript = findRabbitmqServer();
  if (fromEnvironment !== undefined && fromEnvironment !== "") {
    await assertConnectable(fromEnvironment, "RABBITMQ_URL");
    project.provide("amqpUrl", fromEnvironment);
    const isLocal = ["127.0.0.1", "localhost", "[::1]"].includes(new URL(fromEnvironment).hostname);
    const control = isLocal ? localControl() : null;
    project.provide(
      "brokerControl",
      control ?? { kind: "none", why: "RABBITMQ_URL is not a broker rabbitmqctl here reaches" },
    );
  } else if (
    await isPortOpen(new URL(localBrokerUrl).hostname, Number(new URL(localBrokerUrl).port || 5672))
  ) {
    await assertConnectable(localBrokerUrl, "the local broker");
    project.provide("amqpUrl", localBrokerUrl);
    project.provide("brokerControl", localControl() ?? { kind: "none", why: "rabbitmqctl is not on PATH" });
  } else if (serverScript !== null) {
    const say = (message: string): void => console.log(`[integration] ${message}`);
    const broker = await startPrivateBroker(`test-${process.pid}`, serverScript, say);
    stop = broker.stop;
    const { url, nodeName, ctlScript, dataDirectory } = broker.record;
    project.provide("amqpUrl", url);
    project.provide("brokerControl", { kind: "private", nodeName, ctlScript, home: dataDirectory });
  } else {
    const container = await startContainer((message) => console.log(`[integration] ${message}`));
    if (container === null) {
      throw new Error(`integration tests need RabbitMQ.\n${noBrokerHelp}`);
    }
    stop = container.stop;
    project.provide("amqpUrl", container.url);
    project.provide("brokerControl", { kind: "container", containerId: container.containerId ?? "" });
  }
  return async () => {
    await stop();
  };
}

async function assertConnectable(url: string, what: string): Promise<void> {
  try {
    const connection = await amqp.connect(url, { noDelay: true, timeout: 5000 });
    await connection.close();
  } catch (error) {
    const reason = (error as Error).message;
    throw new Error(`integration tests: cannot connect to ${what}: ${reason}\n${noBrokerHelp}`, {
      cause: error,
    });
  }
}

function localControl(): { kind: "local" } | null {
  try {
    execFileSync("rabbitmqctl", ["-q", "status"], { stdio: "ignore", timeout: 30_000 });
    return { kind: "local" };
  } catch {
    return null;
  }
}
