// TLS and the broker's message bound (issue 17, points 3 and 4). A private
// broker from the installed rabbitmq-server listens for amqps:// with a
// certificate for `localhost` from a throwaway CA, and asks every client for a
// certificate from that CA (mutual TLS). A BrokerConnection that trusts the CA
// (PBKV_TLS_CA, or Node's NODE_EXTRA_CA_CERTS) and presents a client
// certificate (PBKV_TLS_CERT, PBKV_TLS_KEY) carries messages; one that trusts
// another CA, or none, refuses the broker; one without a client certificate
// is refused by the broker. The broker refuses a message over its
// max_message_size (brokerMessageBytesMax) and delivers one of exactly that size.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Channel } from "amqplib";
import { nanoid } from "nanoid";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BrokerConnection } from "../../src/broker/connection.js";
import {
  brokerMessageBytesMax,
  findRabbitmqServer,
  type PrivateBroker,
  startPrivateBroker,
} from "../../src/broker/privateBroker.js";
import { tlsCaVariable, tlsCertVariable, tlsKeyVariable } from "../../src/broker/tls.js";
import { rabbitmqctl } from "../../src/chaos/brokerControl.js";
import { hasOpenssl, makeTestCertificates, type TestCertificates } from "../support/certificates.js";
import { repoRoot } from "../support/cli.js";

const serverScript = findRabbitmqServer();
const skipReason =
  serverScript === null
    ? "no rabbitmq-server installed (apt-get install rabbitmq-server)"
    : hasOpenssl()
      ? null
      : "no openssl command (apt-get install openssl)";
if (skipReason !== null) console.warn(`TLS tests not run: ${skipReason}`);

const log = pino({ level: "silent" });
/** Node's and amqplib's words for a broker certificate the client does not trust. */
const untrustedCertificate = /self[- ]signed certificate|unable to (get local issuer|verify)/i;

describe.runIf(skipReason === null)("amqps:// to a private broker with a TLS listener", () => {
  let directory = "";
  let certificates: TestCertificates;
  let broker: PrivateBroker;
  let tlsUrl: string;
  const opened: BrokerConnection[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(path.join(os.tmpdir(), "ht-tls-"));
    certificates = makeTestCertificates(directory);
    const cluster = `ht-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`;
    broker = await startPrivateBroker(cluster, serverScript ?? "", undefined, {
      certFile: certificates.serverCertFile,
      keyFile: certificates.serverKeyFile,
      caFile: certificates.caFile,
      requireClientCertificate: true,
    });
    tlsUrl = broker.tlsUrl ?? "";
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(opened.splice(0).map((connection) => connection.close()));
  });
  afterAll(async () => {
    await broker?.stop();
    if (directory !== "") rmSync(directory, { recursive: true, force: true });
  });

  /** Sets the TLS variables for this test ("" unsets one), then opens a connection that does not retry. */
  async function open(settings: { ca: string; cert: string; key: string }): Promise<BrokerConnection> {
    vi.stubEnv(tlsCaVariable, settings.ca);
    vi.stubEnv(tlsCertVariable, settings.cert);
    vi.stubEnv(tlsKeyVariable, settings.key);
    const connectionName = `ht-tls ${nanoid(6)}`;
    const connection = await BrokerConnection.open({
      url: tlsUrl,
      connectionName,
      log,
      topology: null,
      initialRetriesMax: 0,
    });
    opened.push(connection);
    return connection;
  }
  const trusted = (): { ca: string; cert: string; key: string } => ({
    ca: certificates.caFile,
    cert: certificates.clientCertFile,
    key: certificates.clientKeyFile,
  });

  it("publishes and consumes over TLS, the broker seeing the client certificate", async () => {
    expect(tlsUrl).toMatch(/^amqps:\/\/guest:guest@localhost:\d+$/);
    const connection = await open(trusted());
    const received = await roundTrip(connection, Buffer.from("over TLS"));
    expect(received.toString()).toBe("over TLS");
    const { nodeName, ctlScript, dataDirectory } = broker.record;
    const target = { kind: "private", nodeName, ctlScript, home: dataDirectory } as const;
    const rows = await rabbitmqctl(target, [
      "-q",
      "list_connections",
      "ssl",
      "ssl_protocol",
      "peer_cert_subject",
    ]);
    expect(rows).toMatch(/true\s+'?tlsv1\.[23]'?\s+CN=pbkv-test-client/);
  });

  it("refuses the broker's certificate when trusting another CA, or only Node's built-in roots", async () => {
    const otherCa = { ...trusted(), ca: certificates.otherCaFile };
    await expect(open(otherCa)).rejects.toThrow(untrustedCertificate);
    await expect(open({ ...trusted(), ca: "" })).rejects.toThrow(untrustedCertificate);
  });

  it("is refused by the broker without a client certificate, or with one from another CA", async () => {
    const withoutCertificate = open({ ca: certificates.caFile, cert: "", key: "" });
    // TLS 1.3 says "certificate required"; a TLS 1.2 broker fails the handshake.
    await expect(withoutCertificate).rejects.toThrow(/alert certificate required|alert handshake failure/);
    const otherCertificate = {
      ...trusted(),
      cert: certificates.otherCaFile,
      key: certificates.otherCaKeyFile,
    };
    await expect(open(otherCertificate)).rejects.toThrow(/alert (bad certificate|unknown ca)/);
  });

  it("trusts a CA given by NODE_EXTRA_CA_CERTS instead of PBKV_TLS_CA", () => {
    const script = `import pino from "pino";
      import { BrokerConnection } from "./src/broker/connection.ts";
      const connection = await BrokerConnection.open({ url: ${JSON.stringify(tlsUrl)},
        connectionName: "ht-tls extra-ca", log: pino({ level: "silent" }), topology: null, initialRetriesMax: 0 });
      console.log(connection.isConnected ? "connected" : "not connected");
      await connection.close();`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 30_000,
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certificates.caFile,
        [tlsCaVariable]: "",
        [tlsCertVariable]: certificates.clientCertFile,
        [tlsKeyVariable]: certificates.clientKeyFile,
      },
    });
    expect(child.stderr).toBe("");
    expect(child.stdout.trim()).toBe("connected");
  });

  it(`delivers a message of max_message_size (${brokerMessageBytesMax} bytes) and refuses one byte more`, async () => {
    const connection = await open(trusted());
    await connection.withScratchChannel(async (channel) => {
      const { queue } = await channel.assertQueue("", { exclusive: true });
      channel.publish("", queue, Buffer.alloc(brokerMessageBytesMax, 0x61));
      expect(await getOne(channel, queue)).toBe(brokerMessageBytesMax);
      const refused = channelError(channel);
      channel.publish("", queue, Buffer.alloc(brokerMessageBytesMax + 1, 0x61));
      expect(await refused).toMatch(/406.*larger than configured max size/);
    });
    expect(connection.isConnected).toBe(true); // the shared channel never saw it
  });
});

/** Publishes `content` to a queue of the connection's own and returns what its consumer receives. */
async function roundTrip(connection: BrokerConnection, content: Buffer): Promise<Buffer> {
  let delivered: (content: Buffer) => void = () => {};
  const received = new Promise<Buffer>((resolve) => (delivered = resolve));
  let queue = "";
  await connection.add({
    attach: async (channel: Channel) => {
      queue = (await channel.assertQueue("", { exclusive: true })).queue;
      await channel.consume(queue, (message) => message !== null && delivered(message.content), {
        noAck: true,
      });
    },
  });
  expect(connection.publish("", queue, content)).toBe(true);
  return received;
}

/** Polls the queue until a message is there; returns its size. */
async function getOne(channel: Channel, queue: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const message = await channel.get(queue, { noAck: true });
    if (message !== false) return message.content.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing arrived in ${queue}`);
}

/** The message of the error that closes `channel` (the broker closing it). */
function channelError(channel: Channel): Promise<string> {
  return new Promise((resolve) => channel.once("error", (error: Error) => resolve(error.message)));
}
