// `npm run gateway -- --cluster NAME --port 6379`: a Redis-protocol server in
// front of a cluster (src/gateway), so redis-cli, redis-benchmark and any
// Redis client library can use pbkv. Ctrl-C (or SIGTERM) stops it cleanly:
// no new connections, the open ones ended, operations in flight waited for.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { connect, type KvClient } from "../client/connect.js";
import { BrokerConnectionError, ClusterNotRunningError, NoBrokerError } from "../client/errors.js";
import { Gateway, gatewayDefaults } from "../gateway/server.js";
import {
  addCommonOptions,
  addProtocolOption,
  CommandError,
  exitCodes,
  loggerFor,
  positiveInt,
  type ProtocolChoice,
  runCommand,
  type CommonOptions,
} from "./common.js";
import { Interrupt } from "./interrupt.js";

interface GatewayCliOptions extends CommonOptions, ProtocolChoice {
  port: number;
  host: string;
  transport: "broker" | "memory";
  servers?: number;
  pool: number;
  timeoutMs: number;
  clientRetryMs: number;
  clientsMax: number;
}

function buildProgram(): Command {
  const program = new Command("gateway")
    .description("a Redis-protocol (RESP2/RESP3) server in front of a pbkv cluster; Ctrl-C stops it")
    .addOption(
      new Option("--port <port>", "TCP port to listen on (0: any free one)").argParser(port).default(6379),
    )
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .addOption(
      new Option("--transport <kind>", "broker, or memory: a cluster of its own in this process")
        .choices(["broker", "memory"])
        .default("broker"),
    )
    .addOption(
      new Option(
        "--servers <n>",
        "servers of the memory cluster (default 3, or the count the protocol's configuration fixes)",
      ).argParser(positiveInt),
    )
    .addOption(
      new Option("--pool <n>", "client actors, hence operations in flight")
        .argParser(positiveInt)
        .default(64),
    )
    .addOption(
      new Option(
        "--timeout-ms <ms>",
        "an operation without an answer this long gets a TIMEOUT error (outcome unknown)",
      )
        .argParser(positiveInt)
        .default(5_000),
    )
    .addOption(
      new Option("--client-retry-ms <ms>", "client actors resend after this long")
        .argParser(positiveInt)
        .default(100),
    )
    .addOption(
      new Option("--clients-max <n>", "most connections at once")
        .argParser(positiveInt)
        .default(gatewayDefaults.clientsMax),
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 stopped, 1 failed (port in use), 2 usage, 69 no broker or cluster, 70 internal error.",
    )
    .exitOverride();
  addCommonOptions(program);
  addProtocolOption(program);
  return program;
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0 || value > 65_535)
    throw new InvalidArgumentError("expected a port, 0 to 65535");
  return value;
}

async function openClient(options: GatewayCliOptions): Promise<KvClient> {
  try {
    return await connect({
      cluster: options.cluster,
      url: options.url,
      transport: options.transport,
      protocol: options.protocol,
      servers: options.servers,
      poolSize: options.pool,
      timeoutMs: options.timeoutMs,
      clientRetryMs: options.clientRetryMs,
      label: "gateway",
      logger: loggerFor(options, "pbkv-gateway"),
    });
  } catch (error) {
    if (
      error instanceof NoBrokerError ||
      error instanceof BrokerConnectionError ||
      error instanceof ClusterNotRunningError
    )
      throw new CommandError(error.message, exitCodes.noBroker, { cause: error });
    throw error;
  }
}

async function run(options: GatewayCliOptions): Promise<number> {
  // The one Ctrl-C policy (src/cli/interrupt.ts): the relayed copies of one Ctrl-C are one stop.
  const interrupt = new Interrupt().listen();
  try {
    return await serve(options, interrupt);
  } finally {
    interrupt.finish();
  }
}

async function serve(options: GatewayCliOptions, interrupt: Interrupt): Promise<number> {
  const kv = await openClient(options);
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({
      kv,
      port: options.port,
      host: options.host,
      log: loggerFor(options, "pbkv-gateway"),
      clientsMax: options.clientsMax,
    });
  } catch (error) {
    await kv.close();
    throw new CommandError(
      `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
      exitCodes.failed,
      { cause: error },
    );
  }
  process.stdout.write(
    `pbkv gateway on ${options.host}:${gateway.port} for cluster "${options.cluster}" (${options.transport}); try: redis-cli -p ${gateway.port} ping\n`,
  );
  const signal = await interrupt.received;
  process.stdout.write(`${signal}: stopping: no new connections, waiting for operations in flight\n`);
  await gateway.stop();
  await kv.close();
  process.stdout.write("stopped: every connection closed, the client actors stopped\n");
  return exitCodes.ok;
}

const program = buildProgram();
try {
  program.parse(process.argv);
  await runCommand(() => run(program.opts<GatewayCliOptions>()));
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
}
