// compose.yaml, the Dockerfile (issue 4 §8) and `npm run compose:init` (issue
// 17): RabbitMQ 4 boots with the definitions compose:init wrote (the secure
// cluster's vhost, users, permissions and shared topology, no guest) and the
// view server and three servers each connect with their own user's URL from
// their env file. compose:init runs into a temporary copy of the project's
// compose files, which `docker-compose config` then validates (it needs no
// Docker engine). `npm test` installs docker-compose where it can
// (test/support/prerequisites.ts); elsewhere that check says in one line that
// it did not run and how to enable it. The broker-side proof that these
// definitions work is test/integration/compose.test.ts.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { brokerMessageBytesMax } from "../src/broker/privateBroker.js";
import { clusterNames, sharedQueueExpiresMs, topologyTable } from "../src/broker/topology.js";
import { type BrokerDefinitions, definitionsMountPath } from "../src/security/compose.js";
import { hashMatches } from "../src/security/definitions.js";
import { composeCommand, composeHelp } from "./support/prerequisites.js";

const root = path.resolve(import.meta.dirname, "..");
const nodes = ["viewserver", "server-1", "server-2", "server-3"] as const;
const names = clusterNames("pbkv");

const compose = composeCommand();
if (compose === null)
  console.warn(`compose.yaml check not run: no docker-compose; to enable: ${composeHelp}`);

/** Runs `npm run compose:init` (its script) writing into `directory`; its exit status and output. */
function composeInit(directory: string, ...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "src/cli/composeInit.ts", "--directory", directory, ...args],
    { cwd: root, encoding: "utf8", timeout: 60_000 },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The RABBITMQ_URL an env file sets (its one line). */
function envUrl(file: string): URL {
  const match = /^RABBITMQ_URL=(\S+)\n$/.exec(readFileSync(file, "utf8"));
  expect(match, file).not.toBeNull();
  return new URL(match?.[1] ?? "");
}

/** `source:target[:ro]` (docker-compose 1.x) or `{ source, target }` (2.x), as [source, target]. */
function mountOf(volume: string | { source?: string; target?: string }): [string, string] {
  if (typeof volume !== "string") return [volume.source ?? "", volume.target ?? ""];
  const [source = "", target = ""] = volume.split(":");
  return [source, target];
}

interface ComposeService {
  image?: string;
  build?: { context?: string } | string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: (string | { source?: string; target?: string })[];
  ports?: (string | { host_ip?: string })[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}

describe("compose.yaml and compose:init", () => {
  let project: string;
  let directory: string;
  let definitions: BrokerDefinitions;
  beforeAll(() => {
    // A copy of the project's compose files: compose.yaml reads ./compose/ beside it.
    project = mkdtempSync(path.join(os.tmpdir(), "pbkv-compose-"));
    for (const file of ["compose.yaml", "Dockerfile"])
      copyFileSync(path.join(root, file), path.join(project, file));
    directory = path.join(project, "compose");
    const run = composeInit(directory);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain("next: docker compose up --build");
    definitions = JSON.parse(
      readFileSync(path.join(directory, "definitions.json"), "utf8"),
    ) as BrokerDefinitions;
  }, 60_000);
  afterAll(() => {
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it("gives each node and the operator a user of the vhost, and guest nothing", () => {
    const vhost = "pbkv-pbkv";
    const users = ["pbkv.operator", ...nodes.map((node) => `pbkv.node.${node}`)];
    expect(definitions.vhosts).toEqual([{ name: vhost }]);
    expect(definitions.users.map((user) => user.name).sort()).toEqual([...users].sort());
    expect(definitions.permissions.map((permission) => permission.user).sort()).toEqual([...users].sort());
    expect(definitions.permissions.every((permission) => permission.vhost === vhost)).toBe(true);
    expect(JSON.stringify(definitions)).not.toContain("guest");
    // Each env file's password is its user's: the broker will let exactly that node in.
    for (const [file, user, host] of [
      ["operator.env", "pbkv.operator", "127.0.0.1:5672"],
      ...nodes.map((node) => [`${node}.env`, `pbkv.node.${node}`, "rabbitmq:5672"] as const),
    ] as const) {
      const url = envUrl(path.join(directory, file));
      expect([decodeURIComponent(url.username), url.host, url.pathname], file).toEqual([
        user,
        host,
        `/${vhost}`,
      ]);
      const hash = definitions.users.find((entry) => entry.name === user)?.password_hash ?? "";
      expect(hashMatches(hash, decodeURIComponent(url.password)), file).toBe(true);
      expect(statSync(path.join(directory, file)).mode & 0o777, file).toBe(0o600);
    }
    expect(statSync(directory).mode & 0o777).toBe(0o700);
  });

  it("defines the shared topology without expiry, and the broker's config loads it", () => {
    const table = topologyTable(names);
    expect(definitions.exchanges.map((exchange) => exchange.name)).toEqual(
      table.exchanges.map((e) => e.name),
    );
    expect(definitions.queues.map((queue) => queue.name)).toEqual(table.queues.map((queue) => queue.name));
    expect(definitions.bindings).toHaveLength(table.queues.flatMap((queue) => queue.bindings).length);
    for (const queue of definitions.queues) {
      const declared = table.queues.find((spec) => spec.name === queue.name)?.options.arguments ?? {};
      // npm run cluster's table keeps x-expires (it re-declares the queues); compose's leaves only it out.
      expect(declared["x-expires"], queue.name).toBe(sharedQueueExpiresMs);
      expect(queue.arguments, queue.name).toEqual({ ...declared, "x-expires": undefined });
      expect(queue.arguments, queue.name).not.toHaveProperty("x-expires");
    }
    const net = definitions.exchanges.find((exchange) => exchange.name === names.net);
    expect(net).toMatchObject({
      type: "topic",
      durable: true,
      arguments: { "alternate-exchange": names.lost },
    });
    const config = readFileSync(path.join(directory, "rabbitmq.conf"), "utf8");
    expect(config).toContain(`load_definitions = ${definitionsMountPath}\n`);
    expect(config).toContain(`max_message_size = ${brokerMessageBytesMax}\n`);
    expect(statSync(path.join(directory, "definitions.json")).mode & 0o777).toBe(0o644);
  });

  it("refuses to replace compose/ without --force, and --force writes new passwords", () => {
    const before = readFileSync(path.join(directory, "server-1.env"), "utf8");
    const refused = composeInit(directory);
    expect(refused.status, refused.output).toBe(2);
    expect(refused.output).toMatch(/exists already.*--force/);
    expect(readFileSync(path.join(directory, "server-1.env"), "utf8")).toBe(before);
    // An env file of an earlier, larger layout goes with --force: its user is not in the new definitions.
    writeFileSync(path.join(directory, "server-9.env"), "RABBITMQ_URL=amqp://old\n");
    const forced = composeInit(directory, "--force");
    expect(forced.status, forced.output).toBe(0);
    expect(readFileSync(path.join(directory, "server-1.env"), "utf8")).not.toBe(before);
    expect(() => statSync(path.join(directory, "server-9.env"))).toThrow();
    definitions = JSON.parse(
      readFileSync(path.join(directory, "definitions.json"), "utf8"),
    ) as BrokerDefinitions;
  });

  it.runIf(compose !== null)(
    "is valid for docker-compose: RabbitMQ 4 with the definitions, each node with its own user",
    () => {
      const [command, ...prefix] = compose ?? [];
      const output = execFileSync(
        command ?? "",
        [...prefix, "-f", path.join(project, "compose.yaml"), "config"],
        {
          cwd: project,
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      const services = (parse(output) as { services: Record<string, ComposeService> }).services;
      expect(Object.keys(services).sort()).toEqual(["rabbitmq", ...nodes].sort());

      const rabbitmq = services["rabbitmq"];
      expect(rabbitmq?.image).toMatch(/^rabbitmq:4(\.[0-9.]+)?-management$/);
      expect(rabbitmq?.healthcheck?.test?.join(" ")).toContain("rabbitmq-diagnostics");
      // Published on the loopback interface only: `host_ip:published:target` (1.x) or { host_ip } (2.x).
      const hosts = (rabbitmq?.ports ?? []).map((port) =>
        typeof port === "string" ? port.split(":")[0] : port.host_ip,
      );
      expect(hosts).toEqual(["127.0.0.1", "127.0.0.1"]);
      const mounts = (rabbitmq?.volumes ?? []).map(mountOf);
      expect(mounts).toContainEqual([path.join(directory, "definitions.json"), definitionsMountPath]);
      const config = mounts.find(([source]) => source === path.join(directory, "rabbitmq.conf"));
      expect(config?.[1]).toMatch(/^\/etc\/rabbitmq\/conf\.d\/[^/]+\.conf$/);

      for (const name of nodes) {
        const service = services[name];
        // docker-compose inlines the env file: the node's own URL, never guest's.
        const url = service?.environment?.["RABBITMQ_URL"];
        expect(url, name).toBe(envUrl(path.join(directory, `${name}.env`)).toString());
        expect(decodeURIComponent(new URL(url ?? "").username), name).toBe(`pbkv.node.${name}`);
        expect(service?.depends_on?.["rabbitmq"]?.condition, name).toBe("service_healthy");
        const args = service?.command ?? [];
        const role = name === "viewserver" ? "viewserver" : "server";
        expect(args.slice(args.indexOf("--role"), args.indexOf("--role") + 2), name).toEqual([
          "--role",
          role,
        ]);
        expect(args.slice(args.indexOf("--address"), args.indexOf("--address") + 2), name).toEqual([
          "--address",
          name,
        ]);
        expect(args.slice(args.indexOf("--cluster"), args.indexOf("--cluster") + 2), name).toEqual([
          "--cluster",
          names.cluster,
        ]);
        const context = typeof service?.build === "string" ? service.build : service?.build?.context;
        expect(path.resolve(project, context ?? "?"), name).toBe(project);
      }
      expect(output).not.toContain("guest");
    },
  );

  it("builds nodes from a Dockerfile whose entry point is src/cli/node.ts, without compose/ in its context", () => {
    const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--import", "tsx", "src\/cli\/node\.ts"\]$/m);
    expect(readFileSync(path.join(root, ".dockerignore"), "utf8")).toMatch(/^compose$/m);
  });
});
