// Hidden entry point: runs one node (the view server or one server) of a
// cluster in this process until SIGINT/SIGTERM. `npm run cluster`, the
// integration harness and compose.yaml start one process of it per node:
//   node --import tsx src/cli/node.ts --role server --address server-1 [--cluster pbkv]
import { Command, Option } from "commander";
import { isServerAddress } from "../schemas/address.js";
import { startNode, type NodeRole } from "../broker/node.js";
import {
  addCommonOptions,
  addProtocolOptions,
  CommandError,
  exitCodes,
  findBroker,
  loggerFor,
  namesOf,
  positiveInt,
  protocolConfig,
  runCommand,
  untilSignal,
  type CommonOptions,
  type ProtocolOptions,
} from "./common.js";

interface NodeCommandOptions extends CommonOptions, ProtocolOptions {
  role: NodeRole;
  address?: string;
  debug: boolean;
  parentPid?: number;
}

/** How often a supervised node checks that its supervisor is still there. */
const parentCheckMs = 1_000;

const program = new Command("node")
  .description("run one pbkv node (view server or server) against RabbitMQ; used by `npm run cluster`")
  .addOption(
    new Option("--role <role>", "what this node is").choices(["viewserver", "server"]).makeOptionMandatory(),
  )
  .option("--address <address>", "the node's address: viewserver, or server-<n>")
  .option("--debug", "check the actor's invariants after every event (stops the node on a broken one)", false)
  .addOption(
    new Option("--parent-pid <pid>", "stop when this process (the supervisor) is gone")
      .argParser(positiveInt)
      .hideHelp(),
  );
addCommonOptions(program);
addProtocolOptions(program);
program.action((options: NodeCommandOptions) => runCommand(() => runNode(options)));

async function runNode(options: NodeCommandOptions): Promise<number> {
  const address = options.address ?? (options.role === "viewserver" ? "viewserver" : undefined);
  if (address === undefined || (options.role === "server" && !isServerAddress(address))) {
    throw new CommandError("a server needs --address server-<n>", exitCodes.usage);
  }
  const names = namesOf(options);
  const config = protocolConfig(options);
  const log = loggerFor(options, "pbkv-node").child({ node: address, cluster: names.cluster });
  const broker = await findBroker(options, false);
  let fatal: Error | null = null;
  let wakeUp: () => void = () => {};
  const fatalSeen = new Promise<void>((resolve) => (wakeUp = resolve));
  const node = await startNode({
    role: options.role,
    address,
    names,
    url: broker.url,
    config,
    checkInvariants: options.debug,
    log,
    onFatal: (error) => {
      fatal ??= error;
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
  if (fatal !== null) {
    process.stderr.write(`${address}: stopped by a fatal error: ${(fatal as Error).message}\n`);
    return exitCodes.internal;
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

await program.parseAsync();
