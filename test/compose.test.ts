// compose.yaml and the Dockerfile (issue 4 §8): RabbitMQ 4 with a healthcheck
// plus the view server and three servers, each running src/cli/node.ts
// against amqp://guest:guest@rabbitmq:5672. Validated by `docker-compose
// config`, which needs no Docker engine. `npm test` installs docker-compose
// where it can (test/support/prerequisites.ts); elsewhere the check says in
// one line that it did not run and how to enable it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { composeCommand, composeHelp } from "./support/prerequisites.js";

const root = path.resolve(import.meta.dirname, "..");

const compose = composeCommand();
if (compose === null)
  console.warn(`compose.yaml check not run: no docker-compose; to enable: ${composeHelp}`);

interface ComposeService {
  image?: string;
  build?: { context?: string } | string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}

describe.runIf(compose !== null)("compose.yaml", () => {
  it("is valid for docker-compose and runs RabbitMQ 4 plus the view server and three servers", () => {
    const [command, ...prefix] = compose ?? [];
    const output = execFileSync(command ?? "", [...prefix, "-f", path.join(root, "compose.yaml"), "config"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    const config = parse(output) as { services: Record<string, ComposeService> };
    const services = config.services;
    expect(Object.keys(services).sort()).toEqual([
      "rabbitmq",
      "server-1",
      "server-2",
      "server-3",
      "viewserver",
    ]);

    const rabbitmq = services["rabbitmq"];
    expect(rabbitmq?.image).toMatch(/^rabbitmq:4(\.[0-9.]+)?-management$/);
    expect(rabbitmq?.healthcheck?.test?.join(" ")).toContain("rabbitmq-diagnostics");

    for (const [name, role] of [
      ["viewserver", "viewserver"],
      ["server-1", "server"],
      ["server-2", "server"],
      ["server-3", "server"],
    ] as const) {
      const service = services[name];
      expect(service?.environment?.["RABBITMQ_URL"], name).toBe("amqp://guest:guest@rabbitmq:5672");
      expect(service?.depends_on?.["rabbitmq"]?.condition, name).toBe("service_healthy");
      const args = service?.command ?? [];
      expect(args.slice(args.indexOf("--role"), args.indexOf("--role") + 2), name).toEqual(["--role", role]);
      expect(args.slice(args.indexOf("--address"), args.indexOf("--address") + 2), name).toEqual([
        "--address",
        name,
      ]);
      const context = typeof service?.build === "string" ? service.build : service?.build?.context;
      expect(path.resolve(root, context ?? "?"), name).toBe(root);
    }
  });

  it("builds nodes from a Dockerfile whose entry point is src/cli/node.ts", () => {
    const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--import", "tsx", "src\/cli\/node\.ts"\]$/m);
  });
});
