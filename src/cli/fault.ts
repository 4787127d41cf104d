// `npm run fault -- crash server-1` · `restart server-1` · `start server-4` · `partition a,b c` ·
// `heal` · `net --drop 0.2 --delay 0-50 [--duplicate 0.1] [--link a:b]` ·
// `reset`: publishes one control command on `<c>.control`, then prints which
// nodes applied it (from their `fault.<node>` events).
import { publishControl } from "../broker/controlPublish.js";
import { Command, InvalidArgumentError, Option } from "commander";
import { assertClusterExists } from "../broker/clients.js";
import { BrokerConnection, brokerUserOfUrl } from "../broker/connection.js";
import { EventSubscription } from "../broker/events.js";
import { Address } from "../schemas/address.js";
import type { ClusterEvent } from "../schemas/clusterEvents.js";
import { ControlCommand, type LinkOverride } from "../schemas/control.js";
import { parseWith } from "../schemas/parse.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import {
  addCommonOptions,
  addClientTimingOptions,
  CommandError,
  exitCodes,
  findBroker,
  loggerFor,
  namesOf,
  probability,
  type ProtocolChoice,
  protocolOf,
  requireOperator,
  runCommand,
  type CommonOptions,
  quietOnBrokenPipe,
  usageExitCodes,
} from "./common.js";

interface FaultOptions extends CommonOptions, ProtocolChoice {
  waitMs: number;
  json: boolean;
}

const program = new Command("fault")
  .description("publish a control command to every node of the cluster (faults carried out by the broker)")
  .addOption(
    new Option("--wait-ms <ms>", "how long to collect the nodes' acknowledgements")
      .argParser((text) => nonNegativeInt(text))
      .default(500),
  )
  .option("--json", "print the acknowledgements as JSON", false);
addCommonOptions(program);
// Control commands are the same for every protocol; the protocol says which nodes it cannot lose.
// The settings clients share (VR's --replicas) are taken too, so one set of flags fits kv, load and fault.
addClientTimingOptions(program);
program.configureHelp({ showGlobalOptions: true });

program
  .command("crash <node>")
  .description("drop the node's state and timers; it refuses all traffic until restarted")
  .action((node: string) => runCommand(() => publish({ type: "crash", node: address(node) })));
program
  .command("restart <node>")
  .description("start the node again from its initial state under the same address")
  .action((node: string) => runCommand(() => publish({ type: "restart", node: address(node) })));
program
  .command("start <node>")
  .description(
    "ask npm run cluster's supervisor to start a process for a node the cluster does not run yet (VR: a replica slot, server-1 … server-9, which npm run reconfigure may then add)",
  )
  .action((node: string) => runCommand(() => publish({ type: "start", node: address(node) })));
program
  .command("partition <groups...>")
  .description("split into groups (comma-separated addresses); nodes in no group reach everyone")
  .action((groups: string[]) =>
    runCommand(() =>
      publish({ type: "partition", groups: groups.map((group) => group.split(",").map(address)) }),
    ),
  );
program
  .command("heal")
  .description("end every partition")
  .action(() => runCommand(() => publish({ type: "heal" })));
program
  .command("net")
  .description(
    "set loss, duplication and delay for every link, or with --link only for those links (both ways)",
  )
  .addOption(new Option("--drop <p>", "probability a message is lost").argParser(probability).default(0))
  .addOption(
    new Option("--duplicate <p>", "probability a message is sent twice").argParser(probability).default(0),
  )
  .addOption(
    new Option("--delay <min-max>", "delay range in ms, e.g. 0-50 (or one number)").argParser(delayRange),
  )
  .addOption(
    new Option("--link <a:b>", "apply only to messages between a and b (repeatable)")
      .argParser(collectLinks)
      .default([]),
  )
  .action(
    (netOptions: { drop: number; duplicate: number; delay?: [number, number]; link: [string, string][] }) =>
      runCommand(() => publish(netCommand(netOptions))),
  );
program
  .command("reset")
  .description("back to a healthy cluster: no partition, a clean network, crashed nodes restarted")
  .action(() => runCommand(() => publish({ type: "reset" })));

function nonNegativeInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError("expected an integer >= 0");
  return value;
}

function address(text: string): string {
  const parsed = Address.safeParse(text);
  if (!parsed.success)
    throw new CommandError(`invalid node address ${JSON.stringify(text)}`, exitCodes.usage);
  return parsed.data;
}

function delayRange(text: string): [number, number] {
  const match = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError("expected MIN-MAX milliseconds, e.g. 0-50");
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (min > max) throw new InvalidArgumentError("MIN must not exceed MAX");
  return [min, max];
}

function collectLinks(text: string, previous: [string, string][]): [string, string][] {
  const parts = text.split(":");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    throw new InvalidArgumentError("expected a:b, e.g. server-1:viewserver");
  }
  return [...previous, [parts[0] ?? "", parts[1] ?? ""]];
}

function netCommand(options: {
  drop: number;
  duplicate: number;
  delay?: [number, number];
  link: [string, string][];
}): ControlCommand {
  const settings = { drop: options.drop, duplicate: options.duplicate, delayMs: options.delay ?? [0, 0] };
  if (options.link.length === 0) return { type: "net", ...settings };
  // With --link the settings apply to those links only, both directions; every other link is clean.
  const links: LinkOverride[] = options.link.flatMap(([a, b]) => [
    { from: address(a), to: address(b), ...settings },
    { from: address(b), to: address(a), ...settings },
  ]);
  return { type: "net", drop: 0, duplicate: 0, delayMs: [0, 0], links };
}

async function publish(candidate: unknown): Promise<number> {
  const parsed = parseWith(ControlCommand, candidate);
  if (!parsed.ok) throw new CommandError(`invalid command:\n${parsed.error}`, exitCodes.usage);
  const command = parsed.value;
  const options = program.opts<FaultOptions>();
  const names = namesOf(options);
  const log = loggerFor(options, "pbkv-fault").child({ cluster: names.cluster });
  const broker = await findBroker(options, false);
  requireOperator(names.cluster, brokerUserOfUrl(broker.url), "a fault command");
  const connection = await BrokerConnection.open({
    url: broker.url,
    connectionName: `pbkv ${names.cluster} fault`,
    log,
    topology: null,
  });
  const acknowledgements: ClusterEvent[] = [];
  const subscription = new EventSubscription(
    names,
    ["fault.*"],
    (event) => acknowledgements.push(event),
    log,
  );
  try {
    await assertClusterExists(connection, names);
    await connection.add(subscription);
    const sent = publishControl(connection, names, command);
    if (!sent) throw new CommandError("the broker connection dropped before the command went out");
    await new Promise((resolve) => setTimeout(resolve, options.waitMs));
  } finally {
    await subscription.stop(connection);
    await connection.close();
  }
  const applied = acknowledgements.filter(
    (event) => event.type === "fault" && JSON.stringify(event.command) === JSON.stringify(command),
  );
  if (options.json) {
    const rows = applied.map((event) => ({
      node: event.node,
      effect: event.type === "fault" ? event.effect : "",
    }));
    process.stdout.write(`${JSON.stringify({ command, appliedBy: rows })}\n`);
  } else {
    process.stdout.write(`published ${JSON.stringify(command)}\n`);
    const nodes = applied.map((event) => event.node).sort();
    const effects = new Set(applied.map((event) => (event.type === "fault" ? event.effect : "")));
    if (nodes.length === 0) {
      const target = "node" in command ? ` (is ${command.node} a node of cluster "${names.cluster}"?)` : "";
      process.stdout.write(`no node acknowledged it within ${options.waitMs} ms${target}\n`);
    } else {
      process.stdout.write(`applied by ${nodes.length} node(s): ${nodes.join(", ")}\n`);
      for (const effect of effects) process.stdout.write(`  ${effect}\n`);
    }
  }
  const targeted = command.type === "crash" || command.type === "restart" || command.type === "start";
  if (targeted && applied.length > 0) noteUnsurvivable(protocolOf(options), command.node);
  return targeted && applied.length === 0 ? exitCodes.failed : exitCodes.ok;
}

/** A node of a role the protocol does not claim to survive losing (pb's view server): say so. */
function noteUnsurvivable(protocol: AnyProtocol, node: string): void {
  const role = protocol.roles.find((spec) => spec.name === protocol.roleOf(node));
  if (role === undefined || role.crashable) return;
  process.stderr.write(
    `note: ${node} (${role.name}: ${role.summary}) is not replicated; ${protocol.name} does not survive losing it: restart the cluster to recover.\n`,
  );
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
