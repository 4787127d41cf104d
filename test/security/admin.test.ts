// The broker admin (src/security/admin.ts): the management API implementation
// against a fake management server that records each request (method, path,
// credentials, body), and how adminFor picks a way in for each broker.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiscoveredBroker } from "../../src/broker/discovery.js";
import { clusterNames } from "../../src/broker/topology.js";
import { adminFor, BrokerAdminError, managementAdmin, NoBrokerAdminError } from "../../src/security/admin.js";
import { clusterDefinitions, credentialOf } from "../../src/security/definitions.js";
import { randomBytes } from "node:crypto";

interface Seen {
  method: string;
  url: string;
  authorization: string;
  contentType: string;
  body: string;
}

/** Answers like RabbitMQ's management API: 204 to writes, users on GET, 404 for vhost `gone`. */
function fakeManagement(seen: Seen[]): Server {
  return createServer((request: IncomingMessage, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      seen.push({
        method: request.method ?? "",
        url: request.url ?? "",
        authorization: request.headers.authorization ?? "",
        contentType: request.headers["content-type"] ?? "",
        body,
      });
      if (request.url === "/api/vhosts/gone")
        return void response.writeHead(404).end('{"error":"Object Not Found"}');
      if (request.url === "/api/vhosts/locked")
        return void response.writeHead(401).end('{"error":"not_authorised"}');
      if (request.method === "GET" && request.url === "/api/users") {
        response.writeHead(200, { "content-type": "application/json" });
        return void response.end(
          JSON.stringify([
            { name: "guest", tags: ["administrator"] },
            { name: "hp-a.operator", tags: [] },
          ]),
        );
      }
      response.writeHead(204).end();
    });
  });
}

describe("managementAdmin", () => {
  const seen: Seen[] = [];
  const server = fakeManagement(seen);
  let adminUrl = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    adminUrl = `http://admin%40x:p%3Ass@127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const basic = `Basic ${Buffer.from("admin@x:p:ss").toString("base64")}`;

  it("imports definitions with one POST /api/definitions, then takes back the permissions the API gave its caller", async () => {
    const names = clusterNames("hp-a");
    const definitions = clusterDefinitions(
      names,
      [credentialOf("hp-a", { kind: "operator" }, randomBytes)],
      randomBytes,
    );
    seen.length = 0;
    await managementAdmin(adminUrl).importDefinitions(definitions);
    expect(seen).toEqual([
      {
        method: "POST",
        url: "/api/definitions",
        authorization: basic,
        contentType: "application/json",
        body: JSON.stringify(definitions),
      },
      {
        method: "DELETE",
        url: "/api/permissions/pbkv-hp-a/admin%40x",
        authorization: basic,
        contentType: "",
        body: "",
      },
    ]);
  });

  it("lists users, deletes a vhost (percent-encoded; a missing one is fine) and the present users in one bulk delete", async () => {
    const admin = managementAdmin(adminUrl);
    seen.length = 0;
    expect(await admin.listUsers()).toEqual(["guest", "hp-a.operator"]);
    await admin.deleteVhost("pbkv-hp a/b");
    await admin.deleteVhost("gone");
    await admin.deleteUsers(["hp-a.operator", "hp-a.node.server-1"]);
    await admin.deleteUsers([]);
    expect(seen.map((request) => `${request.method} ${request.url} ${request.body}`)).toEqual([
      "GET /api/users ",
      "DELETE /api/vhosts/pbkv-hp%20a%2Fb ",
      "DELETE /api/vhosts/gone ",
      // bulk-delete refuses a list with a missing user: only those the broker has are sent.
      "GET /api/users ",
      'POST /api/users/bulk-delete {"users":["hp-a.operator"]}',
    ]);
    expect(seen.every((request) => request.authorization === basic)).toBe(true);
  });

  it("reports a refusal with the status, and never the password", async () => {
    const failure = await managementAdmin(adminUrl)
      .deleteVhost("locked")
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BrokerAdminError);
    expect(String(failure)).toMatch(/DELETE http:\/\/127\.0\.0\.1:\d+\/api\/vhosts\/locked: HTTP 401/);
    expect(String(failure)).not.toContain("p%3Ass");
    expect(managementAdmin(adminUrl).describe).not.toContain("p%3Ass");
  });

  it("refuses an admin URL that is not http(s) with a user", () => {
    expect(() => managementAdmin("amqp://guest:guest@127.0.0.1:5672")).toThrow(NoBrokerAdminError);
    expect(() => managementAdmin("http://127.0.0.1:15672")).toThrow(NoBrokerAdminError);
  });
});

describe("adminFor", () => {
  const broker = (fields: Partial<DiscoveredBroker>): DiscoveredBroker => ({
    url: "amqp://guest:guest@127.0.0.1:5672",
    source: "local broker",
    stop: async () => {},
    ...fields,
  });

  it("takes the management API when given an admin URL, whatever the broker", async () => {
    const admin = await adminFor(broker({ containerId: "abc" }), "https://root:pw@rabbit.example:15671");
    expect(admin.target).toEqual({ kind: "management", url: "https://root:pw@rabbit.example:15671" });
  });

  it("takes a private broker's own rabbitmqctl, and a container's", async () => {
    const privateBroker = {
      url: "amqp://guest:guest@127.0.0.1:41234",
      nodeName: "pbkv-x-1@localhost",
      brokerPid: 10,
      ownerPid: 11,
      dataDirectory: "/tmp/pbkv-broker-x",
      ctlScript: "/usr/lib/rabbitmq/bin/rabbitmqctl",
    };
    expect((await adminFor(broker({ source: "private broker", privateBroker }))).target).toEqual({
      kind: "rabbitmqctl",
      control: {
        kind: "private",
        nodeName: "pbkv-x-1@localhost",
        ctlScript: privateBroker.ctlScript,
        home: "/tmp/pbkv-broker-x",
      },
    });
    expect((await adminFor(broker({ source: "container", containerId: "c0ffee" }))).target).toEqual({
      kind: "rabbitmqctl",
      control: { kind: "container", containerId: "c0ffee" },
    });
  });

  it("says why not for a broker on another machine, and for a loopback port no local node serves", async () => {
    const remote = adminFor(broker({ source: "--url", url: "amqp://u:p@rabbit.example:5672" }));
    await expect(remote).rejects.toThrow(NoBrokerAdminError);
    await expect(remote).rejects.toThrow(/rabbit\.example:5672 is not on this machine.*management API/);
    const stray = adminFor(broker({ source: "--url", url: "amqp://u:p@127.0.0.1:1" }));
    await expect(stray).rejects.toThrow(NoBrokerAdminError);
  });
});
