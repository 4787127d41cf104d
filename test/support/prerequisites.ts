// What `npm test` needs beyond npm packages, found or set up before vitest
// starts (package.json's `pretest`), so that the README's test command passes
// on a fresh machine with nothing installed by hand:
// - Chromium, for the dashboard's browser test;
// - docker-compose, to validate compose.yaml (no Docker engine needed);
// - etcd and Redis, which the bench measures beside pbkv;
// - redis-cli (Debian package redis-tools), for the Redis gateway's tests;
// - a RabbitMQ broker, or an installed rabbitmq-server that the integration
//   tests start a private broker from (test/integration/globalSetup.ts).
// Missing ones are installed from Debian's packages when this runs as root
// with apt-get; elsewhere each says in one line what will not run and how to
// enable it. The tests themselves use the same detection.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { localBrokerUrl } from "../../src/broker/discovery.js";
import { isPortOpen } from "../../src/broker/ports.js";
import { findRabbitmqServer } from "../../src/broker/privateBroker.js";
import { installedPeers, peerSpecs } from "../../src/bench/peers.js";
import { chromiumPath } from "../../src/dashboard/headlessChromium.js";

interface Prerequisite {
  what: string;
  present(): boolean | Promise<boolean>;
  packages: string[];
  enable: string;
}

/** `docker-compose` (Debian package docker-compose), else the `docker compose` plugin; null if neither. */
export function composeCommand(): string[] | null {
  for (const candidate of [["docker-compose"], ["docker", "compose"]]) {
    const [command = "", ...prefix] = candidate;
    const probe = spawnSync(command, [...prefix, "version"], { stdio: "ignore", timeout: 30_000 });
    if (probe.status === 0) return candidate;
  }
  return null;
}

export const composeHelp =
  "install docker-compose (Debian: apt-get install docker-compose) or the docker compose plugin";
export const chromiumHelp = `install Chromium (Debian: apt-get install chromium) or set PBKV_CHROMIUM to a Chromium binary`;

async function brokerAvailable(): Promise<boolean> {
  if ((process.env["RABBITMQ_URL"] ?? "") !== "") return true;
  const local = new URL(localBrokerUrl);
  return (await isPortOpen(local.hostname, Number(local.port || 5672))) || findRabbitmqServer() !== null;
}

const prerequisites: Prerequisite[] = [
  {
    what: "Chromium (the dashboard's browser test)",
    present: () => existsSync(chromiumPath),
    packages: ["chromium", "fonts-liberation"],
    enable: chromiumHelp,
  },
  {
    what: "docker-compose (the compose.yaml check)",
    present: () => composeCommand() !== null,
    packages: ["docker-compose"],
    enable: composeHelp,
  },
  {
    what: "etcd and Redis (the bench's peer rows and their test)",
    present: () => installedPeers().length === peerSpecs.length,
    packages: ["etcd-server", "redis-server"],
    enable: "install etcd-server and redis-server (their servers are started by the bench on free ports)",
  },
  {
    what: "redis-cli (the Redis gateway's tests)",
    present: () => spawnSync("redis-cli", ["--version"], { stdio: "ignore", timeout: 30_000 }).status === 0,
    packages: ["redis-tools"],
    enable: "install redis-tools (Debian: apt-get install redis-tools)",
  },
  {
    what: "RabbitMQ (the integration tests)",
    present: brokerAvailable,
    packages: ["rabbitmq-server"],
    enable: "install rabbitmq-server, run a broker on 127.0.0.1:5672, or set RABBITMQ_URL",
  },
];

function canInstall(): boolean {
  return process.platform === "linux" && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
}

/** apt-get install, after an `apt-get update` if the package lists do not have them yet. */
function aptInstall(packages: string[]): void {
  const install = (): void =>
    void execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  try {
    install();
  } catch {
    execFileSync("apt-get", ["update"], { stdio: "ignore" });
    install();
  }
}

/** Installs what is missing where it can; says in one line what will not run where it cannot. */
export async function setUpPrerequisites(): Promise<void> {
  const say = (line: string): void => void process.stdout.write(`npm test: ${line}\n`);
  for (const prerequisite of prerequisites) {
    if (await prerequisite.present()) continue;
    if (!canInstall()) {
      say(
        `${prerequisite.what} is missing and cannot be installed here (needs root and apt-get): ${prerequisite.enable}`,
      );
      continue;
    }
    say(
      `installing ${prerequisite.what}: apt-get install ${prerequisite.packages.join(" ")} (once; takes a minute)`,
    );
    try {
      aptInstall(prerequisite.packages);
    } catch (error) {
      say(`could not install ${prerequisite.packages.join(" ")}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
}
