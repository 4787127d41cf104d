// `npm run kv -- get K` · `put K V` · `append K V` · `view`: one operation
// through the library (src/client: `connect()` with a pool of one fresh
// client actor, address client-<nanoid>, exclusive queue), so the CLI and
// programs share one client path. `status` is the operator's, on the
// control queue (the library has none).
// A value `-` is read from stdin (a 1 MiB value does not fit on a command
// line); a value over the limit is refused (exit 2) before anything is sent.
import { Argument, Command, Option } from "commander";
import { BrokerClients } from "../broker/clients.js";
import { connect, type KvClient } from "../client/connect.js";
import { InvalidOperationError, OperationTimeoutError } from "../client/errors.js";
import { runOperation } from "./kvOperation.js";
import { configNumber } from "../protocols/configOptions.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { EventSubscription } from "../broker/events.js";
import { flatStatus, type NodeStatus } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import { keyLengthMax, valueBytesMax } from "../schemas/limits.js";
import { Key, type Op, valueTooLargeReason } from "../schemas/op.js";
import { viewFields } from "../schemas/view.js";
import { nameNodes } from "../protocols/viewHelpers.js";
import {
  addCommonOptions,
  addClientTimingOptions,
  CommandError,
  exitCodes,
  findBroker,
  loggerFor,
  namesOf,
  positiveInt,
  protocolConfig,
  protocolOf,
  requireOperator,
  runCommand,
  type CommonOptions,
  type ProtocolOptions,
  quietOnBrokenPipe,
  usageExitCodes,
} from "./common.js";

interface KvOptions extends CommonOptions, ProtocolOptions {
  timeoutMs: number;
  json: boolean;
}

const program = new Command("kv")
  .description("one operation on the cluster through a fresh client actor")
  .addOption(
    new Option("--timeout-ms <ms>", "give up (exit 1) after this long").argParser(positiveInt).default(5000),
  )
  .option("--json", "print a JSON object instead of the bare value", false);
addCommonOptions(program);
addClientTimingOptions(program);
program.configureHelp({ showGlobalOptions: true });

program
  .command("get <key>")
  .description("print the key's value (a missing key reads as the empty string)")
  .action((key: string) => runCommand(() => runOp({ f: "get", key: checked(Key, key, "key") })));
program
  .command("put <key> <value>")
  .description("set the key's value (`-`: read it from stdin; at most 1 MiB)")
  .action((key: string, value: string) =>
    runCommand(async () => runOp({ f: "put", key: checked(Key, key, "key"), value: await valueOf(value) })),
  );
program
  .command("append <key> <value>")
  .description("append to the key's value (`-`: read it from stdin; the result at most 1 MiB)")
  .action((key: string, value: string) =>
    runCommand(async () =>
      runOp({ f: "append", key: checked(Key, key, "key"), value: await valueOf(value) }),
    ),
  );
const viewFieldNames = [
  "primary",
  "backup",
  "viewNum",
  "replicas",
  "status",
  "chain",
  "joining",
  "epoch",
] as const;
type ViewField = (typeof viewFieldNames)[number];
program
  .command("status")
  .description(
    "one JSON line per server: node, role, viewNum, applied, keys, storeBytes, sessions, transferChunksAcked, then the protocol's own figures (VR: status, opNumber, commitNumber, logStart) (servers answer a status control command)",
  )
  .action(() => runCommand(() => runStatus()));
program
  .command("view")
  .description(
    'print the cluster\'s current view as JSON with every field it has: {"viewNum":…,"primary":…,"backup":…} (and "replicas", "status", or a "chain" head first and the server "joining" it, where the protocol has them; VR: "epoch", the configuration\'s number, whose members are "replicas"), or one field of it (for scripts: PRIMARY=$(npm run -s kv -- view primary); replicas and chain: space-separated)',
  )
  .addArgument(new Argument("[field]", "print only this field").choices(viewFieldNames))
  .action((field: ViewField | undefined) => runCommand(() => runView(field)));

/** A key within its limit (src/schemas/limits.ts); the error says the limit. Values: valueOf. */
function checked<T>(
  schema: { safeParse(input: unknown): { success: boolean; data?: T } },
  input: string,
  what: "key",
): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new CommandError(
      `the ${what} is ${input.length.toLocaleString("en-US")} characters long; the limit is ${keyLengthMax.toLocaleString("en-US")}`,
      exitCodes.usage,
    );
  }
  return result.data as T;
}

/** The value argument, or stdin for `-`; refused (exit 2) when over the limit, before any connection. */
async function valueOf(argument: string): Promise<string> {
  const value = argument === "-" ? await readStdin() : argument;
  const reason = valueTooLargeReason(value);
  if (reason !== null) throw new CommandError(`invalid value: ${reason}; nothing was sent`, exitCodes.usage);
  return value;
}

/** All of stdin as UTF-8, giving up early once it is certainly over the limit. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes > 6 * valueBytesMax) break; // enough to say it is too large
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `status` only: the library has no status (it is the operator's, on the
 * control queue), so `kv status` keeps its own connection, publishes the
 * `status` control command and reads the answers from the events exchange.
 */
async function openClients(options: KvOptions): Promise<BrokerClients> {
  const names = namesOf(options);
  const broker = await findBroker(options, false);
  return BrokerClients.open({
    url: broker.url,
    names,
    protocol: protocolOf(options),
    config: protocolConfig(options),
    log: loggerFor(options, "pbkv-kv").child({ cluster: names.cluster }),
    checkInvariants: true,
    label: "kv",
  });
}

/**
 * The library's client for one operation or `view`: one client actor (pool
 * of 1), each call bounded by `--timeout-ms` (the wait for the actor
 * included). Discovery runs here first so that a missing broker is exit 69
 * with the same help, and `--verbose` says which broker was found.
 */
async function openLibrary(options: KvOptions): Promise<KvClient> {
  namesOf(options); // a bad cluster name is a usage error before any connection
  const protocol = protocolOf(options);
  const config = protocolConfig(options); // a setting of another protocol: usage error
  const broker = await findBroker(options, false);
  try {
    return await connect({
      cluster: options.cluster,
      url: broker.url,
      protocol: protocol.name,
      timeoutMs: options.timeoutMs,
      poolSize: 1,
      clientRetryMs: config.clientRetryMs,
      settings: clientSettings(protocol, config),
      label: "kv",
      logger: loggerFor(options, "pbkv-kv").child({ cluster: options.cluster }),
    });
  } catch (error) {
    if (error instanceof InvalidOperationError) throw new CommandError(error.message, exitCodes.usage);
    throw error; // ClusterNotRunningError, BrokerConnectionError: exit 69 (runCommand)
  }
}

/** The settings clients share with the servers (`clients: true`), as the library takes them. */
function clientSettings(protocol: AnyProtocol, config: ProtocolConfigBase): Record<string, number> {
  const shared = protocol.config.options.filter((option) => option.clients === true);
  return Object.fromEntries(shared.map((option) => [option.field, configNumber(config, option.field)]));
}

async function runOp(op: Op): Promise<number> {
  const options = program.opts<KvOptions>();
  const startedMs = performance.now();
  const kv = await openLibrary(options);
  try {
    const answer = await runOperation(kv, op, options);
    const elapsedMs = Math.round((performance.now() - startedMs) * 10) / 10;
    if (options.json) {
      // An append answers the value's new length, not a value; the pool's one actor ran it.
      const shown = op.f === "append" ? { length: Number(answer) } : { value: answer };
      const client = kv.clientAddresses[0] ?? null;
      process.stdout.write(`${JSON.stringify({ op: op.f, key: op.key, ...shown, client, elapsedMs })}\n`);
    } else {
      process.stdout.write(op.f === "get" ? `${answer}\n` : "ok\n");
    }
    return exitCodes.ok;
  } finally {
    await kv.close();
  }
}

/** How long `status` collects answers: every live server answers within a few ms. */
const statusWaitMs = 1_500;

async function runStatus(): Promise<number> {
  const options = program.opts<KvOptions>();
  const names = namesOf(options);
  const clients = await openClients(options);
  try {
    requireOperator(names.cluster, clients.connection.user, "status");
  } catch (error) {
    await clients.close();
    throw error;
  }
  const statuses = new Map<string, NodeStatus>();
  const log = loggerFor(options, "pbkv-kv");
  const subscription = new EventSubscription(
    names,
    ["status.*"],
    (event) => {
      if (event.type === "status") statuses.set(event.node, event.status);
    },
    log,
  );
  try {
    await clients.connection.add(subscription);
    const command: ControlCommand = { type: "status" };
    clients.connection.publish(names.control, "", Buffer.from(JSON.stringify(command)), {
      contentType: "application/json",
    });
    await new Promise((resolve) => setTimeout(resolve, Math.min(statusWaitMs, options.timeoutMs)));
    if (statuses.size === 0) throw new CommandError(`no server of "${names.cluster}" answered`);
    // One flat line per server: the common figures, then the protocol's own (VR: status, opNumber, …).
    for (const [node, status] of [...statuses].sort(([a], [b]) => byServerNumber(a, b)))
      process.stdout.write(`${JSON.stringify({ node, ...flatStatus(status) })}\n`);
    return exitCodes.ok;
  } finally {
    await subscription.stop(clients.connection).catch(() => {});
    await clients.close();
  }
}

function byServerNumber(a: string, b: string): number {
  return Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, "")) || (a < b ? -1 : 1);
}

async function runView(field: ViewField | undefined): Promise<number> {
  const options = program.opts<KvOptions>();
  const kv = await openLibrary(options);
  try {
    const view = await kv.view();
    if (field === undefined) {
      process.stdout.write(`${JSON.stringify(viewFields(view))}\n`);
      return exitCodes.ok;
    }
    const value = view[field];
    if (value === null || value === undefined) throw new CommandError(`view ${view.viewNum} has no ${field}`);
    process.stdout.write(`${Array.isArray(value) ? value.join(" ") : value}\n`);
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof OperationTimeoutError) {
      const protocol = protocolOf(options);
      throw new CommandError(
        `no answer from ${nameNodes(protocol, protocol.broker.viewQuery.to(protocolConfig(options)))} of "${options.cluster}" within ${options.timeoutMs} ms`,
      );
    }
    throw error;
  } finally {
    await kv.close();
  }
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
