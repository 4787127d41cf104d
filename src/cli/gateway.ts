// `npm run gateway -- --cluster NAME --port 6379`: a Redis-protocol server in
// front of a cluster (src/gateway), so redis-cli, redis-benchmark and any
// Redis client library can use pbkv. Ctrl-C (or SIGTERM) stops it cleanly:
// no new connections, the open ones ended, operations in flight waited for.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { connect, type KvClient } from "../client/connect.js";
import { BrokerConnectionError, ClusterNotRunningError, NoBrokerError } from "../client/errors.js";
import { Gateway, gatewayDefaults } from "../gateway/server.js";
import { defaultKeyCountSource, type KeyCountSource } from "../gateway/keyCount.js";
import { StatusQuery } from "../broker/statusQuery.js";
import { brokerUserOfUrl } from "../broker/connection.js";
import { isClientUser } from "../security/principal.js";
import {
  addCommonOptions,
  addProtocolOption,
  CommandError,
  exitCodes,
  findBroker,
  loggerFor,
  namesOf,
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

/** The library's client and, on the broker, the status query DBSIZE asks (the operator's only). */
async function openClient(options: GatewayCliOptions): Promise<{ kv: KvClient; keyCount: KeyCountSource }> {
  if (options.transport === "memory") {
    const kv = await connectLibrary(options, options.url);
    return { kv, keyCount: defaultKeyCountSource(kv) };
  }
  // Discovered here, once: the status query must use the URL the library uses.
  const broker = await findBroker(options, false);
  const kv = await connectLibrary(options, broker.url);
  try {
    return { kv, keyCount: await statusSource(options, broker.url) };
  } catch (error) {
    await kv.close();
    throw error;
  }
}

/**
 * DBSIZE's status source on the broker: the operator's status query, or, for
 * a client user (who may not send control commands nor read the events),
 * the reason the count is not known.
 */
async function statusSource(options: GatewayCliOptions, url: string): Promise<KeyCountSource> {
  const user = brokerUserOfUrl(url);
  if (isClientUser(options.cluster, user)) {
    return {
      unknownBecause: `the key count comes from the servers' status, which only the operator of "${options.cluster}" may ask; ${user} is a client user (run the gateway with the operator's URL, or on the machine that started the cluster)`,
    };
  }
  const log = loggerFor(options, "pbkv-gateway");
  return StatusQuery.open({ url, names: namesOf(options), label: "gateway", log });
}

async function connectLibrary(options: GatewayCliOptions, url: string | undefined): Promise<KvClient> {
  try {
    return await connect({
      cluster: options.cluster,
      url,
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
  const { kv, keyCount } = await openClient(options);
  const close = async (): Promise<void> => {
    if (keyCount instanceof StatusQuery) await keyCount.close();
    await kv.close();
  };
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({
      kv,
      keyCount,
      port: options.port,
      host: options.host,
      log: loggerFor(options, "pbkv-gateway"),
      clientsMax: options.clientsMax,
    });
  } catch (error) {
    await close();
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
  await close();
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
