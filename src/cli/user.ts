// `npm run user -- add NAME` · `remove NAME` · `list` [--cluster C]: the
// client users of a secure cluster running on this machine (docs/SECURITY.md).
// Everything comes from the cluster's access record (src/security/record.ts),
// which `npm run cluster` writes for whoever started it: the broker, how to
// administer it, the users so far. `add` prints the new user's AMQP URL as its
// last line: the one time its password is shown.
import { Command } from "commander";
import { BrokerAdminError, adminOf } from "../security/admin.js";
import { brokerUserOf } from "../security/principal.js";
import {
  AccessNotReadyError,
  addClientUser,
  ClientNameRefusedError,
  clientPrincipal,
  removeClientUser,
} from "../security/provision.js";
import {
  type AccessRecord,
  accessRecordPath,
  liveAccessRecord,
  updateAccessRecord,
} from "../security/record.js";
import { CommandError, exitCodes, namesOf, quietOnBrokenPipe, runCommand, usageExitCodes } from "./common.js";

interface UserOptions {
  cluster: string;
  verbose: boolean;
}

const program = new Command("user")
  .description("add, remove and list the client users of a secure cluster started on this machine")
  .option("--cluster <name>", "cluster name: the prefix of every queue and exchange", "pbkv")
  .option("--verbose", "say how the broker is administered", false);
program.configureHelp({ showGlobalOptions: true });

program
  .command("add <name>")
  .description("create client user NAME (1-32 of a-z, 0-9, _) and print its AMQP URL as the last line")
  .action((name: string) => runCommand(() => add(name)));
program
  .command("remove <name>")
  .description("delete client user NAME; the broker closes its open connections")
  .action((name: string) => runCommand(() => remove(name)));
program
  .command("list")
  .description("print the client users added so far, one per line")
  .action(() => runCommand(async () => list()));

async function add(name: string): Promise<void> {
  refusedName(name);
  const { record, names } = running();
  if (record.clientUsers.includes(name)) {
    throw new CommandError(`client user ${name} exists already in cluster ${names.cluster}`, exitCodes.usage);
  }
  const admin = adminOf(record.admin);
  say(`administering the broker with ${admin.describe}`);
  const url = await broker(() => addClientUser(admin, names, record.brokerUrl, name));
  await updateAccessRecord(names.cluster, (old) => ({ ...old, clientUsers: [...old.clientUsers, name] }));
  process.stdout.write(
    `client user ${name} may get, put, append and ask for the view of cluster ${names.cluster} ` +
      `(npm run kv -- --url URL …); it cannot read events or other clients' traffic, nor command faults. ` +
      `Its URL, shown only now:\n`,
  );
  process.stdout.write(`${url}\n`);
}

async function remove(name: string): Promise<void> {
  refusedName(name);
  const { record, names } = running();
  if (!record.clientUsers.includes(name)) {
    throw new CommandError(
      `no client user ${name} in cluster ${names.cluster} (npm run user -- list --cluster ${names.cluster})`,
      exitCodes.usage,
    );
  }
  const admin = adminOf(record.admin);
  say(`administering the broker with ${admin.describe}`);
  await broker(() => removeClientUser(admin, names, name));
  await updateAccessRecord(names.cluster, (old) => ({
    ...old,
    clientUsers: old.clientUsers.filter((user) => user !== name),
  }));
  const user = brokerUserOf(names.cluster, { kind: "client", name });
  process.stdout.write(`removed client user ${name} (broker user ${user}); its connections are closed\n`);
}

function list(): void {
  const { record } = running();
  for (const name of record.clientUsers) process.stdout.write(`${name}\n`);
}

/** The live access record of --cluster, or a CommandError saying why there is none (exit 69). */
function running(): { record: AccessRecord; names: ReturnType<typeof namesOf> } {
  const options = program.opts<UserOptions>();
  const names = namesOf(options);
  const record = liveAccessRecord(names.cluster);
  if (record === null) {
    throw new CommandError(
      `no secure cluster "${names.cluster}" runs on this machine for this user (no ${accessRecordPath(names.cluster)}); ` +
        `start one with npm run cluster -- --cluster ${names.cluster} (a cluster run with --insecure has no users)`,
      exitCodes.noBroker,
    );
  }
  return { record, names };
}

function refusedName(name: string): void {
  try {
    clientPrincipal(name);
  } catch (error) {
    throw new CommandError((error as Error).message, exitCodes.usage);
  }
}

/** A refusal of the name is a usage error; a broker that fails or does not apply it, a failure. */
async function broker<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ClientNameRefusedError) throw new CommandError(error.message, exitCodes.usage);
    if (error instanceof AccessNotReadyError || error instanceof BrokerAdminError) {
      throw new CommandError(error.message, exitCodes.failed, { cause: error });
    }
    throw error;
  }
}

function say(line: string): void {
  if (program.opts<UserOptions>().verbose) process.stderr.write(`${line}\n`);
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
