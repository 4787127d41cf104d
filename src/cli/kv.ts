// `npm run kv -- get K` · `put K V` · `append K V` · `view`: one operation
// through a fresh client actor (address client-<nanoid>, exclusive queue).
// A value `-` is read from stdin (a 1 MiB value does not fit on a command
// line); a value over the limit is refused (exit 2) before anything is sent.
import { Argument, Command, Option } from "commander";
import { BrokerClients, ClientTimeoutError } from "../broker/clients.js";
import { EventSubscription } from "../broker/events.js";
import { flatStatus, type NodeStatus } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import { keyLengthMax, valueBytesMax } from "../schemas/limits.js";
import { describeRefusal, Key, type Op, valueTooLargeReason } from "../schemas/op.js";
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
const viewFieldNames = ["primary", "backup", "viewNum", "replicas", "status", "chain", "joining"] as const;
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
    'print the cluster\'s current view as JSON with every field it has: {"viewNum":…,"primary":…,"backup":…} (and "replicas", "status", or a "chain" head first and the server "joining" it, where the protocol has them), or one field of it (for scripts: PRIMARY=$(npm run -s kv -- view primary); replicas and chain: space-separated)',
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

async function runOp(op: Op): Promise<number> {
  const options = program.opts<KvOptions>();
  const startedMs = performance.now();
  const clients = await openClients(options);
  try {
    const client = await clients.newClient(options.timeoutMs).catch((error: unknown) => {
      if (!(error instanceof ClientTimeoutError)) throw error;
      throw new CommandError(`not connected to the broker within ${options.timeoutMs} ms`);
    });
    const outcome = await client.invoke(op, options.timeoutMs);
    if (clients.fatal !== null) throw clients.fatal;
    if (outcome.kind === "refused")
      throw new CommandError(`${op.f}: the client actor was crashed by a control command`);
    if (outcome.kind === "failed")
      throw new CommandError(`${op.f} ${JSON.stringify(op.key)}: ${describeRefusal(outcome.error)}`);
    if (outcome.kind === "expired") {
      throw new CommandError(
        `${op.f} ${JSON.stringify(op.key)}: outcome unknown: the servers had forgotten this client's session (SessionExpired)${op.f === "get" ? "" : "; the operation may have taken effect once, never more"}`,
      );
    }
    if (outcome.kind === "timeout") {
      throw new CommandError(
        `${op.f} ${JSON.stringify(op.key)}: no answer within ${options.timeoutMs} ms (is the cluster "${options.cluster}" serving? try: npm run kv -- view); a put or append may still happen`,
      );
    }
    const elapsedMs = Math.round((performance.now() - startedMs) * 10) / 10;
    if (options.json) {
      // An append answers the value's new length, not a value.
      const answer = op.f === "append" ? { length: Number(outcome.value) } : { value: outcome.value };
      process.stdout.write(
        `${JSON.stringify({ op: op.f, key: op.key, ...answer, client: client.address, elapsedMs })}\n`,
      );
    } else {
      process.stdout.write(op.f === "get" ? `${outcome.value}\n` : "ok\n");
    }
    return exitCodes.ok;
  } finally {
    await clients.close();
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
  const clients = await openClients(options);
  try {
    const view = await clients.getView(options.timeoutMs);
    if (field === undefined) {
      process.stdout.write(`${JSON.stringify(viewFields(view))}\n`);
      return exitCodes.ok;
    }
    const value = view[field];
    if (value === null || value === undefined) throw new CommandError(`view ${view.viewNum} has no ${field}`);
    process.stdout.write(`${Array.isArray(value) ? value.join(" ") : value}\n`);
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof ClientTimeoutError) {
      throw new CommandError(
        `no answer from ${nameNodes(protocolOf(options), protocolOf(options).broker.viewQuery.to(protocolConfig(options)))} of "${options.cluster}" within ${options.timeoutMs} ms`,
      );
    }
    throw error;
  } finally {
    await clients.close();
  }
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
