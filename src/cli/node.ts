// Hidden entry point: runs one node of a cluster (a role of the protocol: for
// pb the view server or one server) in this process until SIGINT/SIGTERM.
// `npm run cluster`, the integration harness and compose.yaml start one
// process of it per node:
//   node --import tsx src/cli/node.ts [--protocol pb] --role server --address server-1 [--cluster pbkv]
// `npm run bench` also starts its ceiling with it: `--actors relay` runs the
// benchmark's relay actors (src/bench/relayActors.ts) instead of the protocol.
import path from "node:path";
import { Command, Option } from "commander";
import { relayDefinitionFor } from "../bench/relayActors.js";
import { protocolNamed, protocolNames } from "../protocols/registry.js";
import { createLogger, type LogLevel, logLevels } from "../broker/logger.js";
import { checkNodeAddress, defaultNodeAddress, startNode } from "../broker/node.js";
import { retiredExitCode } from "../broker/supervisor.js";
import {
  addCommonOptions,
  addProtocolOptions,
  CommandError,
  exitCodes,
  findBroker,
  namesOf,
  positiveInt,
  protocolConfig,
  protocolOf,
  runCommand,
  untilSignal,
  type CommonOptions,
  type ProtocolOptions,
  quietOnBrokenPipe,
  usageExitCodes,
} from "./common.js";

type ActorsKind = "pbkv" | "relay";

interface NodeCommandOptions extends CommonOptions, ProtocolOptions {
  role: string;
  address?: string;
  debug: boolean;
  parentPid?: number;
  actors: ActorsKind;
  cpuProfile?: string;
  logLevel?: LogLevel;
}

/** How often a supervised node checks that its supervisor is still there. */
const parentCheckMs = 1_000;

/** Every registered protocol's roles: which ones the chosen protocol has is checked after parsing. */
const roleNames = [
  ...new Set(protocolNames().flatMap((name) => protocolNamed(name).roles.map((role) => role.name))),
];

const program = new Command("node")
  .description(
    "run one pbkv node (a role of the protocol: for pb the view server or a server) against RabbitMQ; used by `npm run cluster`",
  )
  .addOption(
    new Option("--role <role>", "what this node is (a role of --protocol)")
      .choices(roleNames)
      .makeOptionMandatory(),
  )
  .option("--address <address>", "the node's address (for pb: viewserver, or server-<n>)")
  .option("--debug", "check the actor's invariants after every event (stops the node on a broken one)", false)
  .addOption(
    new Option("--parent-pid <pid>", "stop when this process (the supervisor) is gone")
      .argParser(positiveInt)
      .hideHelp(),
  )
  .addOption(
    new Option("--actors <kind>", "pbkv: the protocol; relay: the benchmark's relay ceiling (npm run bench)")
      .choices(["pbkv", "relay"])
      .default("pbkv"),
  )
  .addOption(
    new Option("--cpu-profile <dir>", "write a CPU profile of this node to <dir> when it stops").hideHelp(),
  )
  .addOption(
    new Option("--log-level <level>", "log at this level (default warn; --verbose: debug)")
      .choices(logLevels)
      .hideHelp(),
  );
addCommonOptions(program);
addProtocolOptions(program);
program.action((options: NodeCommandOptions) => runCommand(() => runNode(options)));

async function runNode(options: NodeCommandOptions): Promise<number> {
  const protocol = protocolOf(options);
  const address = options.address ?? defaultNodeAddress(protocol, options.role);
  if (address === undefined) throw new CommandError(`a ${options.role} needs --address`, exitCodes.usage);
  try {
    checkNodeAddress(protocol, options.role, address);
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.usage);
  }
  const names = namesOf(options);
  const config = protocolConfig(options);
  const definition = options.actors === "relay" ? relayDefinitionFor(address, protocol) : undefined;
  if (definition === null) {
    throw new CommandError(`a relay cluster has no node "${address}"`, exitCodes.usage);
  }
  const log = createLogger({ verbose: options.verbose, name: "pbkv-node", level: options.logLevel }).child({
    node: address,
    cluster: names.cluster,
  });
  const broker = await findBroker(options, false);
  const profile =
    options.cpuProfile === undefined
      ? null
      : await (
          await import("../bench/profile.js")
        ).startCpuProfile(
          path.join(options.cpuProfile, `${names.cluster}-${address}-${process.pid}.cpuprofile`),
        );
  let fatal: Error | null = null;
  let retired: string | null = null;
  let wakeUp: () => void = () => {};
  const fatalSeen = new Promise<void>((resolve) => (wakeUp = resolve));
  const node = await startNode({
    protocol,
    role: options.role,
    address,
    names,
    url: broker.url,
    config,
    checkInvariants: options.debug,
    log,
    definition,
    onFatal: (error) => {
      fatal ??= error;
      wakeUp();
    },
    // A replica a reconfiguration removed is done once the new group runs: the process stops for good.
    onActorEvent: (event) => {
      if (event.type !== "retired") return;
      retired ??= event.reason;
      wakeUp();
    },
  });
  log.info({ role: options.role }, "node running");
  const signal = await Promise.race([
    untilSignal(),
    fatalSeen.then(() => null),
    parentGone(options.parentPid),
  ]);
  log.info({ signal }, "node stopping");
  await node.stop();
  await profile?.stop();
  if (fatal !== null) {
    process.stderr.write(`${address}: stopped by a fatal error: ${(fatal as Error).message}\n`);
    return exitCodes.internal;
  }
  if (retired !== null) {
    process.stderr.write(`${address}: retired (${retired as string}); not to be restarted\n`);
    return retiredExitCode;
  }
  return exitCodes.ok;
}

/** Resolves when the supervisor died without stopping us (we were re-parented); never without --parent-pid. */
function parentGone(parentPid: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (parentPid === undefined) return;
    const timer = setInterval(() => {
      if (process.ppid === parentPid) return;
      clearInterval(timer);
      resolve("supervisor gone");
    }, parentCheckMs);
    timer.unref();
  });
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
