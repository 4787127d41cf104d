// `npm run kv -- get K` · `put K V` · `append K V` · `view`: one operation
// through a fresh client actor (address client-<nanoid>, exclusive queue).
import { Argument, Command, Option } from "commander";
import { BrokerClients, ClientTimeoutError } from "../broker/clients.js";
import { keyLengthMax, valueLengthMax } from "../schemas/limits.js";
import { Key, type Op, Value } from "../schemas/op.js";
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
  .description("set the key's value")
  .action((key: string, value: string) =>
    runCommand(() =>
      runOp({ f: "put", key: checked(Key, key, "key"), value: checked(Value, value, "value") }),
    ),
  );
program
  .command("append <key> <value>")
  .description("append to the key's value")
  .action((key: string, value: string) =>
    runCommand(() =>
      runOp({ f: "append", key: checked(Key, key, "key"), value: checked(Value, value, "value") }),
    ),
  );
const viewFields = ["primary", "backup", "viewNum"] as const;
type ViewField = (typeof viewFields)[number];
program
  .command("view")
  .description(
    'print the view server\'s current view: {"viewNum":…,"primary":…,"backup":…}, or one field of it (for scripts: PRIMARY=$(npm run -s kv -- view primary))',
  )
  .addArgument(new Argument("[field]", "print only this field").choices(viewFields))
  .action((field: ViewField | undefined) => runCommand(() => runView(field)));

/** A key or value within its limit (src/schemas/limits.ts); the error says the limit. */
function checked<T>(
  schema: { safeParse(input: unknown): { success: boolean; data?: T } },
  input: string,
  what: "key" | "value",
): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const limit = what === "key" ? keyLengthMax : valueLengthMax;
    throw new CommandError(
      `the ${what} is ${input.length.toLocaleString("en-US")} characters long; the limit is ${limit.toLocaleString("en-US")}`,
      exitCodes.usage,
    );
  }
  return result.data as T;
}

async function openClients(options: KvOptions): Promise<BrokerClients> {
  const names = namesOf(options);
  const broker = await findBroker(options, false);
  return BrokerClients.open({
    url: broker.url,
    names,
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
    if (outcome.kind === "timeout") {
      throw new CommandError(
        `${op.f} ${JSON.stringify(op.key)}: no answer within ${options.timeoutMs} ms (is the cluster "${options.cluster}" serving? try: npm run kv -- view); a put or append may still happen`,
      );
    }
    const elapsedMs = Math.round((performance.now() - startedMs) * 10) / 10;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ op: op.f, key: op.key, value: outcome.value, client: client.address, elapsedMs })}\n`,
      );
    } else {
      process.stdout.write(op.f === "get" ? `${outcome.value}\n` : "ok\n");
    }
    return exitCodes.ok;
  } finally {
    await clients.close();
  }
}

async function runView(field: ViewField | undefined): Promise<number> {
  const options = program.opts<KvOptions>();
  const clients = await openClients(options);
  try {
    const view = await clients.getView(options.timeoutMs);
    if (field === undefined) {
      process.stdout.write(
        `${JSON.stringify({ viewNum: view.viewNum, primary: view.primary, backup: view.backup })}\n`,
      );
      return exitCodes.ok;
    }
    const value = view[field];
    if (value === null) throw new CommandError(`view ${view.viewNum} has no ${field}`);
    process.stdout.write(`${value}\n`);
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof ClientTimeoutError) {
      throw new CommandError(
        `no answer from the view server of "${options.cluster}" within ${options.timeoutMs} ms`,
      );
    }
    throw error;
  } finally {
    await clients.close();
  }
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
