// compose.yaml's broker setup on the real broker, without Docker (issue 17):
// the definitions `npm run compose:init` writes are imported as the broker
// container would at boot, and the nodes start with the URLs of their env
// files (their host `rabbitmq` replaced by this test's broker, as compose's
// network resolves it). Nobody declares the shared topology (node users may
// not, and no operator connection does here): the definitions alone must make
// a cluster that serves the operator's put and get, and guest may not even
// open its vhost. Deletes the vhost and the users after.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import amqp from "amqplib";
import { nanoid } from "nanoid";
import { pino } from "pino";
import { expect, inject, it } from "vitest";
import { BrokerClients } from "../../src/broker/clients.js";
import { ClusterSupervisor, repositoryRoot } from "../../src/broker/supervisor.js";
import { clusterNames, topologyTable } from "../../src/broker/topology.js";
import { protocolArguments } from "../../src/cli/common.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { View } from "../../src/schemas/view.js";
import { rabbitmqctlAdmin } from "../../src/security/admin.js";
import type { BrokerDefinitions } from "../../src/security/compose.js";
import { teardownCluster, waitUntilAccepted } from "../../src/security/provision.js";

const readyTimeoutMs = 20_000;

/** An env file's RABBITMQ_URL, pointed at this test's broker instead of compose's `rabbitmq` service. */
function urlOnTestBroker(file: string): string {
  const match = /^RABBITMQ_URL=(\S+)\n$/.exec(readFileSync(file, "utf8"));
  if (match?.[1] === undefined) throw new Error(`${file}: no RABBITMQ_URL line`);
  const url = new URL(match[1]);
  url.host = new URL(inject("amqpUrl")).host;
  return url.toString();
}

async function waitForReadyView(clients: BrokerClients, ready: (view: View) => boolean): Promise<View> {
  const deadline = performance.now() + readyTimeoutMs;
  let last: View | null = null;
  while (performance.now() < deadline) {
    last = await clients.getView(1_000).catch(() => last);
    if (last !== null && ready(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ready view within ${readyTimeoutMs} ms; last ${JSON.stringify(last)}`);
}

it("compose:init's definitions make a secure pb cluster that serves the operator", async () => {
  const control = inject("brokerControl");
  if (control.kind === "none")
    throw new Error(`this test imports definitions with rabbitmqctl: ${control.why}`);
  const admin = rabbitmqctlAdmin(control);
  const names = clusterNames(`hc-${nanoid(8).replace(/[^A-Za-z0-9]/g, "x")}`);
  const work = mkdtempSync(path.join(os.tmpdir(), `pbkv-${names.cluster}-`));
  const directory = path.join(work, "compose");
  const init = spawnSync(
    process.execPath,
    ["--import", "tsx", "src/cli/composeInit.ts", "--cluster", names.cluster, "--directory", directory],
    { cwd: repositoryRoot, encoding: "utf8", timeout: 60_000 },
  );
  expect(init.status, `${init.stdout}${init.stderr}`).toBe(0);
  const definitions = JSON.parse(
    readFileSync(path.join(directory, "definitions.json"), "utf8"),
  ) as BrokerDefinitions;
  const protocol = protocolNamed("pb");
  const config = protocol.config.make();
  const nodes = protocol.layout(3).map((node) => node.address);
  const nodeUrls = new Map(nodes.map((node) => [node, urlOnTestBroker(path.join(directory, `${node}.env`))]));
  const operatorUrl = urlOnTestBroker(path.join(directory, "operator.env"));
  const supervisor = new ClusterSupervisor({
    cluster: names.cluster,
    url: operatorUrl,
    nodeUrls,
    protocol,
    servers: 3,
    nodeArgs: ["--debug", ...protocolArguments(protocol, config)],
    restartDead: false,
    logs: { directory: work },
  });
  let clients: BrokerClients | null = null;
  try {
    await admin.importDefinitions(definitions);
    await waitUntilAccepted(operatorUrl, `${names.cluster}.operator`);
    const guest = new URL(inject("amqpUrl"));
    guest.pathname = `/${definitions.vhosts[0]?.name ?? "?"}`;
    await expect(amqp.connect(guest.toString())).rejects.toThrow(
      /ConnectionClose|NOT_ALLOWED|ACCESS_REFUSED/,
    );

    supervisor.start();
    const log = pino({ level: process.env["PBKV_TEST_LOG"] ?? "error" });
    clients = await BrokerClients.open({
      url: operatorUrl,
      names,
      protocol,
      config,
      log,
      checkInvariants: true,
      label: "compose-test",
    });
    await waitForReadyView(clients, (view) => protocol.broker.ready(view));
    const session = await clients.newClient(5_000);
    expect(await session.invoke({ f: "put", key: "k", value: "from compose" }, 5_000)).toEqual({
      kind: "ok",
      value: "",
    });
    expect(await session.invoke({ f: "get", key: "k" }, 5_000)).toEqual({
      kind: "ok",
      value: "from compose",
    });
    await session.stop();
    // The shared queues are the broker's, from the definitions: no node or client declared them.
    const checked = clients.connection.withScratchChannel(async (scratch) => {
      for (const queue of topologyTable(names).queues) await scratch.checkQueue(queue.name);
    });
    await expect(checked).resolves.toBeUndefined();
  } finally {
    await supervisor.stop();
    await clients?.close();
    await teardownCluster(
      admin,
      definitions.vhosts[0]?.name ?? "",
      definitions.users.map((user) => user.name),
    );
    rmSync(work, { recursive: true, force: true });
  }
}, 60_000);
