// Broker-side faults: the broker closes a client connection, found by the
// name every pbkv connection gives itself (`pbkv <cluster> <address>`, the
// client property `connection_name`). Done with `rabbitmqctl` on this machine
// (the system's, or a private broker's own), or inside the broker's container;
// without any, connection kills are off.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import type { DiscoveredBroker } from "../broker/discovery.js";

const execFileAsync = promisify(execFile);
/** rabbitmqctl starts an Erlang VM (about 0.6 s of CPU); give it room on a busy machine. */
export const rabbitmqctlTimeoutMs = 30_000;

export type BrokerControlTarget =
  | { kind: "local" }
  | { kind: "container"; containerId: string }
  /** A private broker (src/broker/privateBroker.ts): its own node, reached with its own cookie. */
  | { kind: "private"; nodeName: string; ctlScript: string; home: string }
  | { kind: "none"; why: string };

/**
 * Runs `rabbitmqctl ARGS` against the target's broker and returns its output;
 * `input` is written to its standard input (e.g. `import_definitions` reads
 * definitions from there: a file path would be read by the broker's own user).
 */
export function rabbitmqctl(target: BrokerControlTarget, args: string[], input?: string): Promise<string> {
  const options = { encoding: "utf8" as const, timeout: rabbitmqctlTimeoutMs };
  const run = async (file: string, argv: string[], env?: NodeJS.ProcessEnv): Promise<string> => {
    const running = execFileAsync(file, argv, env === undefined ? options : { ...options, env });
    if (input !== undefined) running.child.stdin?.end(input);
    return (await running).stdout;
  };
  switch (target.kind) {
    case "local":
      return run("rabbitmqctl", args);
    case "container": {
      const interactive = input === undefined ? [] : ["-i"]; // docker exec passes stdin on only with -i
      return run("docker", ["exec", ...interactive, target.containerId, "rabbitmqctl", ...args]);
    }
    case "private":
      return run(target.ctlScript, ["-n", target.nodeName, ...args], { ...process.env, HOME: target.home });
    case "none":
      return Promise.reject(new Error(`cannot run rabbitmqctl against this broker: ${target.why}`));
  }
}

export interface BrokerControl {
  readonly available: boolean;
  /** Why connection kills are off (when `available` is false). */
  readonly why: string;
  /** The broker's ids (`<rabbit@host.1.2.3>`) of the connections with this name. */
  findConnections(connectionName: string): Promise<string[]>;
  /** Has the broker close these connections. */
  closeConnections(pids: readonly string[], reason: string): Promise<void>;
}

export function brokerControl(target: BrokerControlTarget): BrokerControl {
  if (target.kind === "none") {
    return {
      available: false,
      why: target.why,
      findConnections: () => Promise.reject(new Error(`connection kills are off: ${target.why}`)),
      closeConnections: () => Promise.reject(new Error(`connection kills are off: ${target.why}`)),
    };
  }
  const run = (args: string[]): Promise<string> => rabbitmqctl(target, args);
  return {
    available: true,
    why: "",
    async findConnections(connectionName) {
      const listing = await run(["-q", "list_connections", "pid", "client_properties"]);
      return listing
        .split("\n")
        .filter((row) => row.includes(`{"connection_name","${connectionName}"}`))
        .map((row) => row.split("\t")[0] ?? "")
        .filter((pid) => pid.startsWith("<"));
    },
    async closeConnections(pids, reason) {
      for (const pid of pids) await run(["close_connection", pid, reason]);
    },
  };
}

/** `rabbitmqctl` on this machine when it answers (it needs to run as root or the rabbitmq user). */
export function localBrokerControl(): BrokerControl {
  try {
    execFileSync("rabbitmqctl", ["-q", "status"], { stdio: "ignore", timeout: rabbitmqctlTimeoutMs });
    return brokerControl({ kind: "local" });
  } catch (error) {
    return brokerControl({ kind: "none", why: `rabbitmqctl does not answer: ${(error as Error).message}` });
  }
}

/** rabbitmqctl for the broker discovery found: the private broker's own, the container's, or this machine's. */
export function brokerControlFor(broker: DiscoveredBroker): BrokerControl {
  const { privateBroker, containerId } = broker;
  if (privateBroker !== undefined) {
    const { nodeName, ctlScript, dataDirectory } = privateBroker;
    return brokerControl({ kind: "private", nodeName, ctlScript, home: dataDirectory });
  }
  if (containerId !== undefined) return brokerControl({ kind: "container", containerId });
  return localBrokerControl();
}
