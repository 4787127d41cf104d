// `npm run compose:init -- [--cluster pbkv] [--protocol pb] [--servers 3] [--force]`:
// writes the git-ignored `compose/` directory compose.yaml reads
// (docs/SECURITY-compose.md): the broker's definitions (the cluster's vhost,
// a user per node and for the operator with fresh passwords, permissions,
// limits and the shared topology), its rabbitmq.conf, one env file per node
// with its RABBITMQ_URL and the operator's for this machine. Needs no broker.
// Refuses to replace an existing directory without --force: its passwords are
// the ones a broker made from it already has.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command, Option } from "commander";
import type { AnyProtocol } from "../protocols/protocol.js";
import { defaultProtocolName } from "../protocols/registry.js";
import { type ClusterNames, clusterNames } from "../broker/topology.js";
import {
  brokerConfigFileName,
  type ComposeFile,
  composeFiles,
  definitionsFileName,
  operatorEnvFileName,
} from "../security/compose.js";
import {
  addProtocolOption,
  CommandError,
  describeLayout,
  exitCodes,
  positiveInt,
  protocolOf,
  quietOnBrokenPipe,
  runCommand,
  serversOf,
  usageExitCodes,
} from "./common.js";

interface ComposeInitOptions {
  cluster: string;
  protocol: string;
  servers: number;
  directory: string;
  force: boolean;
}

/** What compose.yaml runs: its services are pb's view server and three servers of cluster pbkv. */
const composeLayout = { cluster: "pbkv", protocol: defaultProtocolName, servers: 3 } as const;
/** The directory is ours when it holds only what this command writes. */
const ownFile = (name: string): boolean =>
  name.endsWith(".env") || name === definitionsFileName || name === brokerConfigFileName;

const program = new Command("compose:init")
  .description(
    "write compose/ for `docker compose up`: the broker's definitions (vhost, users, permissions, topology), its rabbitmq.conf and each node's and the operator's RABBITMQ_URL",
  )
  .option("--cluster <name>", "cluster name: the prefix of every queue and exchange", composeLayout.cluster)
  .addOption(new Option("--servers <n>", "number of servers").argParser(positiveInt).default(3))
  .option("--directory <dir>", "where to write", "compose")
  .option("--force", "replace the files of an existing directory (new passwords)", false);
addProtocolOption(program);
program.action((options: ComposeInitOptions) => runCommand(() => composeInit(options)));

async function composeInit(options: ComposeInitOptions): Promise<number> {
  const names = namesOf(options.cluster);
  const protocol = protocolOf(options);
  const servers = serversOf(program, protocol, protocol.config.make(), options.servers);
  const nodes = protocol.layout(servers).map((node) => node.address);
  const files = composeFiles({ names, nodes, random: randomBytes });
  const directory = path.resolve(options.directory);
  prepareDirectory(directory, options.force, files);
  for (const file of files) writeComposeFile(directory, file);
  report(options.directory, names, protocol, servers, files);
  return exitCodes.ok;
}

function namesOf(cluster: string): ClusterNames {
  try {
    return clusterNames(cluster);
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.usage);
  }
}

/**
 * Makes the directory (its owner's only: it holds passwords), or checks an
 * existing one may be replaced: --force given, and nothing in it but what
 * this command writes. Env files of an earlier layout go: their users are gone.
 */
function prepareDirectory(directory: string, force: boolean, files: readonly ComposeFile[]): void {
  if (!existsSync(directory)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    return;
  }
  const entries = readdirSync(directory);
  if (entries.length === 0) return;
  const foreign = entries.filter((name) => !ownFile(name));
  if (foreign.length > 0) {
    throw new CommandError(
      `${directory} holds files compose:init did not write (${foreign.join(", ")}): choose another --directory`,
      exitCodes.usage,
    );
  }
  if (!force) {
    throw new CommandError(
      `${directory} exists already (a broker started from it has its passwords): --force writes new ones`,
      exitCodes.usage,
    );
  }
  const written = new Set(files.map((file) => file.name));
  for (const name of entries) if (!written.has(name)) rmSync(path.join(directory, name));
  chmodSync(directory, 0o700);
}

/** Created afresh with its mode, so a password never sits in a file readable by others, even briefly. */
function writeComposeFile(directory: string, file: ComposeFile): void {
  const target = path.join(directory, file.name);
  rmSync(target, { force: true });
  writeFileSync(target, file.content, { mode: file.mode, flag: "wx" });
  // The umask may have taken bits away (a 0644 file the broker's container user must read).
  chmodSync(target, file.mode);
}

function report(
  shown: string,
  names: ClusterNames,
  protocol: AnyProtocol,
  servers: number,
  files: readonly ComposeFile[],
): void {
  const lines = [
    `wrote ${shown}/ for cluster "${names.cluster}" (${protocol.name}: ${describeLayout(protocol, servers)}):`,
  ];
  const width = Math.max(...files.map((file) => file.name.length));
  for (const file of files) {
    lines.push(`  ${file.name.padEnd(width)}  ${file.what} (mode ${file.mode.toString(8)})`);
  }
  const { cluster, protocol: composeProtocol, servers: composeServers } = composeLayout;
  if (names.cluster !== cluster || protocol.name !== composeProtocol || servers !== composeServers) {
    lines.push(
      `note: compose.yaml runs cluster "${cluster}" (${composeProtocol}, ${composeServers} servers): edit its services (command, env_file) to run this layout`,
    );
  }
  const clusterOption = names.cluster === composeLayout.cluster ? "" : `--cluster ${names.cluster} `;
  lines.push(
    "next: docker compose up --build",
    `then, from this machine: export $(cat ${shown}/${operatorEnvFileName}) && npm run kv -- ${clusterOption}put a 1`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
