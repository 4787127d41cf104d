// compose.yaml and the Dockerfile (issue 4 §8): RabbitMQ 4 with a healthcheck
// plus the view server and three servers, each running src/cli/node.ts
// against amqp://guest:guest@rabbitmq:5672. Validated by `docker-compose
// config`, which needs no Docker engine; without the binary the test fails
// (it does not skip) and says how to install it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "..");

/** `docker-compose` (Debian package docker-compose), else the `docker compose` plugin. */
function composeCommand(): string[] {
  const candidates = [["docker-compose"], ["docker", "compose"]];
  for (const candidate of candidates) {
    try {
      execFileSync(candidate[0] ?? "", [...candidate.slice(1), "version"], {
        stdio: "ignore",
        timeout: 30_000,
      });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    "neither `docker-compose` nor `docker compose` is installed; install it with `apt-get install -y docker-compose` " +
      "(it validates compose.yaml without a Docker engine)",
  );
}

interface ComposeService {
  image?: string;
  build?: { context?: string } | string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}

describe("compose.yaml", () => {
  it("is valid for docker-compose and runs RabbitMQ 4 plus the view server and three servers", () => {
    const [command, ...prefix] = composeCommand();
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
