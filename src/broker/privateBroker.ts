// A private RabbitMQ broker started from an installed `rabbitmq-server`
// (DESIGN §6, broker discovery): its own Erlang node name, AMQP and
// distribution ports and data directory under the temp directory, its own
// empty plugin list and config (so it never touches the system broker's
// files, node or ports), stopped and deleted with whoever started it.
//
// Its rabbitmq.conf bounds messages (`max_message_size`, below) and, on
// request, adds a TLS listener (for the TLS test, issue 17).
//
// A record (`<tmp>/pbkv-brokers/<cluster>.json`) lets the cluster's other
// commands (kv, fault, load, dashboard) find it, and lets the next start clean
// up after an owner that was killed before it could stop its broker.
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import amqp from "amqplib";
import { z } from "zod";
import { messageBytesMax } from "../schemas/limits.js";
import { freePort } from "./ports.js";

/** Debian's real script (its /usr/sbin wrapper would switch to the rabbitmq user and its files). */
const debianServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const startTimeoutMs = 90_000;
const stopTimeoutMs = 15_000;
const pollMs = 250;

/**
 * The broker's bound on a message body (rabbitmq.conf `max_message_size`;
 * RabbitMQ's default is 128 MiB in 3.x, 16 MiB in 4.x): whatever is bigger
 * is refused by the broker (the publishing channel is closed with 406
 * PRECONDITION_FAILED) and never reaches a queue. The same number is what
 * docs/SECURITY.md asks of a shared broker.
 */
export const brokerMessageBytesMax = 2 * 1024 * 1024;
/**
 * The largest message pbkv sends on purpose: the chaos garbage's oversized
 * messages (src/chaos/garbage.ts, up to messageBytesMax + 64 KiB + 1) must
 * pass the broker, so that the receiver's own size check refuses them.
 */
const chaosOversizedBytesMax = messageBytesMax + 64 * 1024 + 1;
if (brokerMessageBytesMax <= chaosOversizedBytesMax) {
  throw new Error("privateBroker: max_message_size must let the chaos garbage's oversized messages through");
}

const recordSchema = z.object({
  url: z.string(),
  nodeName: z.string(),
  brokerPid: z.number().int().positive(),
  ownerPid: z.number().int().positive(),
  dataDirectory: z.string(),
  ctlScript: z.string(),
});
export type PrivateBrokerRecord = z.infer<typeof recordSchema>;

/** A TLS listener for the private broker: PEM files, and whether a client must present a certificate. */
export interface PrivateBrokerTls {
  /** The broker's certificate (it should name `localhost`: the TLS URL uses that host). */
  certFile: string;
  keyFile: string;
  /** The CA that client certificates must chain to (ssl_options.cacertfile). */
  caFile: string;
  /** Refuse a client without a certificate (fail_if_no_peer_cert); one it presents is checked either way. */
  requireClientCertificate: boolean;
}

export interface PrivateBroker {
  readonly record: PrivateBrokerRecord;
  /** `amqps://guest:guest@localhost:<port>` when started with a TLS listener, else null. */
  readonly tlsUrl: string | null;
  /** Stops the broker (SIGTERM, then SIGKILL) and deletes its data directory and record. */
  stop(): Promise<void>;
}

/** The rabbitmq-server script to run: PBKV_RABBITMQ_SERVER, Debian's, else one on PATH; null if none. */
export function findRabbitmqServer(): string | null {
  const configured = process.env["PBKV_RABBITMQ_SERVER"];
  if (configured !== undefined && configured !== "") return existsSync(configured) ? configured : null;
  if (existsSync(debianServerScript)) return debianServerScript;
  for (const directory of (process.env["PATH"] ?? "").split(path.delimiter)) {
    const candidate = path.join(directory, "rabbitmq-server");
    if (directory !== "" && existsSync(candidate)) return candidate;
  }
  return null;
}

function recordDirectory(): string {
  return path.join(os.tmpdir(), "pbkv-brokers");
}

function recordPath(cluster: string): string {
  return path.join(recordDirectory(), `${sanitize(cluster)}.json`);
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The record of a private broker whose owner still runs; a stale one is cleaned up and null returned. */
export async function livePrivateBroker(cluster: string): Promise<PrivateBrokerRecord | null> {
  let record: PrivateBrokerRecord;
  try {
    record = recordSchema.parse(JSON.parse(readFileSync(recordPath(cluster), "utf8")));
  } catch {
    return null; // none, or unreadable: nothing we started
  }
  if (isAlive(record.ownerPid) && isAlive(record.brokerPid)) return record;
  await stopRecorded(record, cluster);
  return null;
}

async function stopRecorded(record: PrivateBrokerRecord, cluster: string): Promise<void> {
  if (isAlive(record.brokerPid)) {
    process.kill(record.brokerPid, "SIGTERM");
    if (!(await waitFor(() => !isAlive(record.brokerPid), stopTimeoutMs))) {
      process.kill(record.brokerPid, "SIGKILL");
      await waitFor(() => !isAlive(record.brokerPid), stopTimeoutMs);
    }
  }
  rmSync(record.dataDirectory, { recursive: true, force: true });
  rmSync(recordPath(cluster), { force: true });
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return condition();
}

async function acceptsLogins(url: string): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { noDelay: true, timeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/** The private broker's rabbitmq.conf: loopback listeners only, the message bound, TLS if asked. */
function brokerConfig(amqpPort: number, tls: { port: number; files: PrivateBrokerTls } | null): string {
  const lines = [
    `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
    `max_message_size = ${brokerMessageBytesMax}`,
  ];
  if (tls !== null) {
    const { certFile, keyFile, caFile, requireClientCertificate } = tls.files;
    for (const file of [certFile, keyFile, caFile]) {
      // rabbitmq.conf values are unquoted: a space or `#` would cut the path short.
      if (!/^[^\s#]+$/.test(file)) throw new Error(`privateBroker: unusable TLS file path "${file}"`);
    }
    lines.push(
      `listeners.ssl.default = 127.0.0.1:${tls.port}`,
      `ssl_options.cacertfile = ${caFile}`,
      `ssl_options.certfile = ${certFile}`,
      `ssl_options.keyfile = ${keyFile}`,
      "ssl_options.verify = verify_peer",
      `ssl_options.fail_if_no_peer_cert = ${requireClientCertificate}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function brokerEnvironment(
  dataDirectory: string,
  nodeName: string,
  ports: number[],
  config: string,
): NodeJS.ProcessEnv {
  const [amqpPort, distributionPort] = ports;
  const file = (name: string): string => path.join(dataDirectory, name);
  writeFileSync(file("rabbitmq.conf"), config);
  writeFileSync(file("enabled_plugins"), "[].\n");
  writeFileSync(file("rabbitmq-env.conf"), "");
  return {
    ...process.env,
    HOME: dataDirectory, // the Erlang cookie of this node, and of rabbitmqctl talking to it
    RABBITMQ_CONF_ENV_FILE: file("rabbitmq-env.conf"),
    RABBITMQ_CONFIG_FILE: file("rabbitmq.conf"),
    RABBITMQ_ENABLED_PLUGINS_FILE: file("enabled_plugins"),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distributionPort),
    RABBITMQ_MNESIA_BASE: file("mnesia"),
    RABBITMQ_LOG_BASE: file("log"),
    RABBITMQ_PID_FILE: file("broker.pid"),
    ERL_EPMD_ADDRESS: "127.0.0.1",
  };
}

/**
 * Starts a private broker for `cluster` from `serverScript` and waits until it
 * accepts logins. It runs in its own process group, so a terminal's Ctrl-C
 * reaches only its owner, which stops it in order after the cluster.
 * With `tls`, it also listens for AMQP over TLS on a port of its own.
 */
export async function startPrivateBroker(
  cluster: string,
  serverScript: string,
  onProgress: (message: string) => void = () => {},
  tls: PrivateBrokerTls | null = null,
): Promise<PrivateBroker> {
  await livePrivateBroker(cluster); // removes a stale one left by a killed owner
  if (existsSync(recordPath(cluster))) {
    throw new Error(`a private broker for "${cluster}" is already running (${recordPath(cluster)})`);
  }
  const ports = [await freePort(), await freePort()];
  const tlsListener = tls === null ? null : { port: await freePort(), files: tls };
  const config = brokerConfig(ports[0] ?? 0, tlsListener); // may refuse a TLS path: before anything is made
  const dataDirectory = mkdtempSync(path.join(os.tmpdir(), `pbkv-broker-${sanitize(cluster)}-`));
  const nodeName = `pbkv-${sanitize(cluster)}-${process.pid}@localhost`;
  const url = `amqp://guest:guest@127.0.0.1:${ports[0]}`;
  onProgress(
    `starting a private RabbitMQ broker: node ${nodeName}, port ${ports[0]}, data in ${dataDirectory}`,
  );
  const logPath = path.join(dataDirectory, "broker.log");
  const logFile = openSync(logPath, "a");
  const child = spawn(serverScript, [], {
    env: brokerEnvironment(dataDirectory, nodeName, ports, config),
    cwd: dataDirectory,
    detached: true,
    stdio: ["ignore", logFile, logFile],
  });
  closeSync(logFile);
  const record: PrivateBrokerRecord = {
    url,
    nodeName,
    brokerPid: child.pid ?? 0,
    ownerPid: process.pid,
    dataDirectory,
    ctlScript: path.join(path.dirname(serverScript), "rabbitmqctl"),
  };
  // However this process ends (an error, process.exit, a forced Ctrl-C), the broker is told to stop;
  // its data and record go at the next start. A SIGKILL of this process is left to that start too.
  const stopOnExit = (): void => void signalQuietly(record.brokerPid, "SIGTERM");
  process.once("exit", stopOnExit);
  const stop = async (): Promise<void> => {
    process.off("exit", stopOnExit);
    await stopRecorded(record, cluster);
  };
  // Recorded at once: should this process die while waiting, the next start removes the broker.
  mkdirSync(recordDirectory(), { recursive: true });
  writeFileSync(recordPath(cluster), `${JSON.stringify(record)}\n`);
  const interrupted = (signal: NodeJS.Signals): void => {
    onProgress(`${signal} while the private broker starts: stopping it`);
    void stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted).once("SIGTERM", interrupted);
  try {
    await waitUntilReady(child, url, logPath, stop);
  } finally {
    process.off("SIGINT", interrupted).off("SIGTERM", interrupted);
  }
  const tlsUrl = tlsListener === null ? null : `amqps://guest:guest@localhost:${tlsListener.port}`;
  const tlsNote = tlsListener === null ? "" : ` and amqps://guest:***@localhost:${tlsListener.port}`;
  onProgress(`private RabbitMQ broker ready at amqp://guest:***@127.0.0.1:${ports[0]}${tlsNote}`);
  return { record, tlsUrl, stop };
}

async function waitUntilReady(
  child: ChildProcess,
  url: string,
  logPath: string,
  stop: () => Promise<void>,
): Promise<void> {
  let exited = false;
  let spawnError = "";
  child.once("exit", () => void (exited = true));
  child.once("error", (error) => void ((exited = true), (spawnError = error.message)));
  const ready = await waitFor(() => exited || acceptsLogins(url), startTimeoutMs);
  child.unref();
  if (ready && !exited) return;
  const output = spawnError || readFileSync(logPath, "utf8").trim().slice(-1_500) || "no output";
  await stop();
  const why = exited ? `it exited: ${output}` : `not ready within ${startTimeoutMs} ms: ${output}`;
  throw new Error(`the private RabbitMQ broker did not start (${why})`);
}
