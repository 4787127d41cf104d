// A secure cluster on the real broker (issue 17, docs/SECURITY.md): one
// definitions import makes its vhost and users; each user logs in with the
// URL it was given; guest cannot open the vhost; a client user cannot listen
// to others' traffic on `<c>.net` nor send control commands; a node binds only
// its own address; client users come and go (a removed one is cut off at
// once, with `npm run user` too); teardown leaves no vhost and no user behind.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import amqp, { type Channel, type ChannelModel } from "amqplib";
import { nanoid } from "nanoid";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  actorQueueOptions,
  clusterNames,
  declareTopology,
  topologyTable,
} from "../../src/broker/topology.js";
import { rabbitmqctl } from "../../src/chaos/brokerControl.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { type BrokerAdmin, managementAdmin, rabbitmqctlAdmin } from "../../src/security/admin.js";
import {
  addClientUser,
  ClientNameRefusedError,
  provisionCluster,
  type ProvisionedCluster,
  teardownCluster,
} from "../../src/security/provision.js";
import { writeAccessRecord } from "../../src/security/record.js";
import { runCli } from "../support/cli.js";

const control = inject("brokerControl");
const nodes = protocolNamed("pb")
  .layout(3)
  .map((node) => node.address);
const open: ChannelModel[] = [];
/** The access record `npm run user` reads lives here (its TMPDIR), not in the machine's temp directory. */
const recordDirectory = mkdtempSync(path.join(os.tmpdir(), "pbkv-hp-provision-"));

async function connect(url: string): Promise<ChannelModel> {
  // amqplib takes "" for guest on the default vhost: a step that failed must not pass for one that worked.
  if (url === "") throw new Error("no URL: an earlier step failed");
  const connection = await amqp.connect(url, { timeout: 5_000 });
  connection.on("error", () => {}); // a forced close is what some tests wait for
  open.push(connection);
  return connection;
}

async function channelOf(connection: ChannelModel): Promise<Channel> {
  const channel = await connection.createChannel();
  channel.on("error", () => {}); // refusals close the channel; the next call rejects with the reason
  return channel;
}

/** What the broker answers to `action` on a fresh channel: "ok", or its refusal (the channel's close). */
async function outcome(connection: ChannelModel, action: (channel: Channel) => unknown): Promise<string> {
  const channel = await channelOf(connection);
  try {
    await action(channel);
    await channel.checkExchange("amq.direct"); // a round trip: a refused publish closes the channel before it
    await channel.close();
    return "ok";
  } catch (error) {
    return (error as Error).message;
  }
}

/** One way to administer the broker: provisioning and everything after it are tested for each. */
interface Way {
  label: string;
  admin: BrokerAdmin;
  /** The AMQP URL of the broker `admin` administers. */
  brokerUrl: string;
  vhosts(): Promise<string[]>;
}

function ways(): Way[] {
  const found: Way[] = [];
  if (control.kind !== "none") {
    found.push({
      label: `rabbitmqctl (${control.kind})`,
      admin: rabbitmqctlAdmin(control),
      brokerUrl: inject("amqpUrl"),
      vhosts: async () => (await rabbitmqctl(control, ["-q", "list_vhosts", "name"])).split("\n"),
    });
  }
  // The management API, when given one (e.g. a rabbitmq:4-management container's): PBKV_TEST_ADMIN_URL
  // (http://USER:PASS@HOST:15672) and the same broker's AMQP URL, PBKV_TEST_ADMIN_AMQP_URL.
  const adminUrl = process.env["PBKV_TEST_ADMIN_URL"];
  const amqpUrl = process.env["PBKV_TEST_ADMIN_AMQP_URL"];
  if (adminUrl !== undefined && amqpUrl !== undefined) {
    const api = new URL(adminUrl);
    const authorization = `Basic ${Buffer.from(`${decodeURIComponent(api.username)}:${decodeURIComponent(api.password)}`).toString("base64")}`;
    found.push({
      label: `the management API at ${api.host}`,
      admin: managementAdmin(adminUrl),
      brokerUrl: amqpUrl,
      vhosts: async () => {
        const response = await fetch(`${api.protocol}//${api.host}/api/vhosts`, {
          headers: { authorization },
        });
        return ((await response.json()) as { name: string }[]).map((vhost) => vhost.name);
      },
    });
  }
  return found;
}

const allWays = ways();
// Said in one line, as every test that cannot run here says it (the security tests fail outright instead).
if (allWays.length === 0)
  console.warn(
    "provision tests not run: no rabbitmqctl reaches the test broker and PBKV_TEST_ADMIN_URL is not set",
  );

describe.each(allWays)("a secure cluster administered with $label", ({ admin, brokerUrl, vhosts }) => {
  const names = clusterNames(`hp-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`);
  let cluster: ProvisionedCluster;
  let operator: ChannelModel;
  let tornDown = false;

  beforeAll(async () => {
    cluster = await provisionCluster(admin, { names, brokerUrl, nodes });
    operator = await connect(cluster.operatorUrl);
    // The operator declares the shared topology, as `npm run cluster` does.
    await declareTopology(await channelOf(operator), topologyTable(names));
  });

  afterAll(async () => {
    await Promise.allSettled(open.map((connection) => connection.close()));
    rmSync(recordDirectory, { recursive: true, force: true });
    if (tornDown) return; // the last test did
    await teardownCluster(admin, `pbkv-${names.cluster}`, [
      ...(cluster?.users ?? []),
      `${names.cluster}.client.alice`,
    ]);
  });

  /** The access record `npm run cluster` would write: this process owns the cluster. */
  function writeRecord(): void {
    const saved = process.env["TMPDIR"];
    process.env["TMPDIR"] = recordDirectory;
    try {
      writeAccessRecord({
        cluster: names.cluster,
        brokerUrl,
        vhost: cluster.vhost,
        operatorUrl: cluster.operatorUrl,
        nodeUrls: Object.fromEntries(cluster.nodeUrls),
        clientUsers: [],
        admin: admin.target,
        ownerPid: process.pid,
      });
    } finally {
      if (saved === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = saved;
    }
  }

  it("gives every node and the operator a user in the cluster's vhost, and guest nothing there", async () => {
    expect(cluster.vhost).toBe(`pbkv-${names.cluster}`);
    expect([...cluster.nodeUrls.keys()]).toEqual(["viewserver", "server-1", "server-2", "server-3"]);
    expect(cluster.users).toEqual([
      `${names.cluster}.operator`,
      ...nodes.map((node) => `${names.cluster}.node.${node}`),
    ]);
    for (const url of cluster.nodeUrls.values()) await connect(url);
    const guestInVhost = new URL(brokerUrl);
    guestInVhost.pathname = `/${cluster.vhost}`;
    await expect(amqp.connect(guestInVhost.toString(), { timeout: 5_000 })).rejects.toThrow();
  });

  it("keeps the operator, who declared the topology, from publishing on <c>.net as a node", async () => {
    const message = Buffer.from("{}");
    expect(await outcome(operator, (channel) => channel.publish(names.net, "server-1", message))).toMatch(
      /403 \(ACCESS-REFUSED\).*topic 'server-1'/,
    );
  });

  it("lets a node declare its own queue and bind it with its own address only", async () => {
    const node = await connect(cluster.nodeUrls.get("server-1") ?? "");
    const queue = names.actorQueue("server-1");
    expect(
      await outcome(node, (channel) => channel.assertQueue(queue, actorQueueOptions(names, false))),
    ).toBe("ok");
    expect(await outcome(node, (channel) => channel.bindQueue(queue, names.net, "server-1"))).toBe("ok");
    expect(await outcome(node, (channel) => channel.bindQueue(queue, names.net, "server-2"))).toMatch(
      /403 \(ACCESS-REFUSED\).*topic 'server-2'/,
    );
    const other = names.actorQueue("server-2");
    expect(
      await outcome(node, (channel) => channel.assertQueue(other, actorQueueOptions(names, false))),
    ).toMatch(/403/);
  });

  // Client users are made and removed through `npm run user`, which runs addClientUser and
  // removeClientUser from the access record `npm run cluster` writes (here: this process's).
  let aliceUrl = "";
  const user = (args: string[]) =>
    runCli("user", [...args, "--cluster", names.cluster], undefined, { TMPDIR: recordDirectory });

  it("adds a client user with npm run user: its URL is the last line", async () => {
    writeRecord();
    const added = await user(["add", "alice"]);
    expect(added.code, added.stderr).toBe(0);
    const lines = added.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/client user alice may get, put, append and ask for the view/);
    aliceUrl = lines[1] ?? "";
    expect(new URL(aliceUrl).username).toBe(`${names.cluster}.client.alice`);
    expect((await user(["list"])).stdout).toBe("alice\n");
  });

  it("keeps a client user from binding <c>.net with # and from publishing a control command", async () => {
    const alice = await connect(aliceUrl);
    const queue = names.actorQueue("client-alice-1");
    const declare = (channel: Channel): unknown => channel.assertQueue(queue, actorQueueOptions(names, true));
    expect(await outcome(alice, declare)).toBe("ok");
    const bind = (key: string) => async (channel: Channel) => {
      await declare(channel);
      await channel.bindQueue(queue, names.net, key);
    };
    expect(await outcome(alice, bind("client-alice-1"))).toBe("ok");
    expect(await outcome(alice, bind("#"))).toMatch(/403 \(ACCESS-REFUSED\).*topic '#'/);
    const command = Buffer.from(JSON.stringify({ type: "heal" }));
    expect(await outcome(alice, (channel) => channel.publish(names.control, "", command))).toMatch(
      /403 \(ACCESS-REFUSED\).*access to exchange '.*\.control'/,
    );
    expect(await outcome(alice, (channel) => channel.publish(names.requests, "viewserver", command))).toBe(
      "ok",
    );
  });

  it("refuses an existing, a malformed and a reserved client user name", async () => {
    await expect(addClientUser(admin, names, brokerUrl, "alice")).rejects.toThrow(/exists already/);
    await expect(addClientUser(admin, names, brokerUrl, "Bob-1")).rejects.toThrow(ClientNameRefusedError);
    await expect(addClientUser(admin, names, brokerUrl, "operator")).rejects.toThrow(/reserved/);
  });

  it("removes a client user with npm run user: the broker closes its open connection at once", async () => {
    const alice = await connect(aliceUrl);
    const closed = new Promise<string>((resolve) => alice.on("close", (error) => resolve(String(error))));
    const removed = await user(["remove", "alice"]);
    expect(removed.code, removed.stderr).toBe(0);
    // RabbitMQ closes a deleted user's connections itself (3.10 and 4.x): nothing else to do.
    expect(await closed).toMatch(/CONNECTION_FORCED.*is deleted/);
    await expect(amqp.connect(aliceUrl, { timeout: 5_000 })).rejects.toThrow(/ACCESS.REFUSED/);
    expect((await user(["list"])).stdout).toBe("");
  });

  it("tears down to no vhost and no user of the cluster (what is gone already is no error)", async () => {
    // alice is gone already, and so is the vhost the second time.
    await teardownCluster(admin, cluster.vhost, [...cluster.users, `${names.cluster}.client.alice`]);
    tornDown = true;
    expect(await vhosts()).not.toContain(cluster.vhost);
    expect((await admin.listUsers()).filter((name) => name.startsWith(`${names.cluster}.`))).toEqual([]);
    await teardownCluster(admin, cluster.vhost, []);
  });
});
