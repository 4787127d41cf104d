// `npm run reconfigure -- [--add N] [--remove NAME]... [--cluster C]`: changes
// a running VR cluster's group (issue 19; VR Revisited §7). It reads the group
// that runs (as `kv view` does) and which slots answer, works out the next
// group (src/cli/reconfigureTarget.ts; a bad request exits 2 and changes
// nothing), asks the cluster's supervisor to start the new replicas (the
// `start` control command) and waits until they answer as spares, then runs
// the operator actor for one reconfiguration (src/broker/operatorRun.ts) until
// the new epoch runs, and prints it. The removed replicas retire by
// themselves afterwards. Ctrl-C leaves the cluster running as it is.
import { Command, InvalidArgumentError, Option } from "commander";
import { BrokerClients } from "../broker/clients.js";
import { brokerUserOfUrl } from "../broker/connection.js";
import { type OperatorRun, startOperator } from "../broker/operatorRun.js";
import type { ReconfigureOutcome } from "../protocols/brokerSupport.js";
import type { View } from "../schemas/view.js";
import {
  addClientTimingOptions,
  addCommonOptions,
  clockTime,
  CommandError,
  type CommonOptions,
  exitCodes,
  findBroker,
  loggerFor,
  namesOf,
  positiveInt,
  protocolConfig,
  protocolOf,
  type ProtocolOptions,
  quietOnBrokenPipe,
  requireOperator,
  runCommand,
  usageExitCodes,
} from "./common.js";
import { Interrupt } from "./interrupt.js";
import { reconfigureTarget } from "./reconfigureTarget.js";
import { runningSlots, startReplicas, type Step } from "./reconfigureSteps.js";

interface ReconfigureOptions extends CommonOptions, ProtocolOptions {
  add: number;
  remove: string[];
  timeoutMs: number;
}

/** Progress lines this often while waiting for the new epoch. */
const progressEveryMs = 2_000;

const program = new Command("reconfigure")
  .description(
    "change a running VR cluster's replica group: start new replicas in free slots (--add), take members out (--remove), and wait until the new epoch runs",
  )
  .addOption(
    new Option("--add <n>", "start this many new replicas (the lowest free slots) and make them members")
      .argParser(nonNegativeInt)
      .default(0),
  )
  .addOption(
    new Option("--remove <name>", "take this member out of the group (repeatable); it retires by itself")
      .argParser((name: string, previous: string[]) => [...previous, name])
      .default([]),
  )
  .addOption(
    new Option("--timeout-ms <ms>", "give up (exit 1) after this long")
      .argParser(positiveInt)
      .default(60_000),
  );
addCommonOptions(program);
addClientTimingOptions(program);
program.action((options: ReconfigureOptions) => runCommand(() => runReconfigure(options)));

function nonNegativeInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError("expected an integer >= 0");
  return value;
}

async function runReconfigure(options: ReconfigureOptions): Promise<number> {
  const protocol = protocolOf(options);
  const support = protocol.broker.reconfiguration;
  if (support === undefined)
    throw new CommandError(
      `${protocol.name}'s group does not change at run time: reconfigure is for --protocol vr`,
      exitCodes.usage,
    );
  const names = namesOf(options);
  const config = protocolConfig(options);
  const broker = await findBroker(options, false);
  requireOperator(names.cluster, brokerUserOfUrl(broker.url), "reconfigure");
  const log = loggerFor(options, "pbkv-reconfigure").child({ cluster: names.cluster });
  const clients = await BrokerClients.open({
    url: broker.url,
    names,
    protocol,
    config,
    log,
    checkInvariants: true,
    label: "reconfigure",
  });
  const say = (line: string): void => void process.stdout.write(`${clockTime()} ${line}\n`);
  const interrupt = new Interrupt({ say }).listen();
  let stopRequested = false;
  void interrupt.received.then(() => (stopRequested = true));
  const deadlineMs = performance.now() + options.timeoutMs;
  const step: Step = {
    clients,
    support,
    names,
    log,
    say,
    deadlineMs,
    interrupted: interrupt.received,
    stopRequested: () => stopRequested,
  };
  try {
    return await reconfigure(step, options);
  } finally {
    interrupt.finish();
    await clients.close();
  }
}

async function reconfigure(step: Step, options: ReconfigureOptions): Promise<number> {
  const { clients, say } = step;
  const view = await clients.getView(Math.min(5_000, options.timeoutMs));
  const members = view.replicas ?? [];
  const epoch = view.epoch ?? 0;
  const running = await runningSlots(step);
  const busy = [...running].filter(
    ([, slot]) => slot.status === "transitioning" || (slot.epoch ?? 0) > epoch,
  );
  if (busy.length > 0)
    throw new CommandError(
      `a reconfiguration is under way (${busy.map(([slot, v]) => `${slot}: ${v.status} in epoch ${v.epoch}`).join(", ")}); nothing changed, try again when it is done`,
      exitCodes.usage,
    );
  if (step.stopRequested()) return interrupted(step, "nothing changed");
  const target = reconfigureTarget({ members, running: [...running.keys()], ...options });
  if (!target.ok) throw new CommandError(`${target.reason}; nothing changed`, exitCodes.usage);
  say(
    `epoch ${epoch}, view ${view.viewNum}: ${members.join(", ")}; next: ${target.members.join(", ")}${
      target.added.length > 0 ? ` (new: ${target.added.join(", ")})` : ""
    }`,
  );
  // A Ctrl-C before the group is asked leaves everything as it was (a started spare only idles).
  if (step.stopRequested()) return interrupted(step, "nothing asked of the group");
  await startReplicas(step, target.added, options.cluster);
  if (step.stopRequested()) return interrupted(step, "nothing asked of the group");
  const operator = await startOperator({
    names: step.names,
    connection: clients.connection,
    protocol: protocolOf(options),
    config: protocolConfig(options),
    from: { epoch, members, viewNum: view.viewNum },
    target: target.members,
    log: step.log,
  });
  say(`asking for epoch ${epoch + 1} as ${operator.address}`);
  try {
    return await settle(step, operator, await awaitOutcome(step, operator));
  } finally {
    await operator.stop();
  }
}

function interrupted(step: Step, what: string): number {
  step.say(`interrupted: ${what}`);
  return exitCodes.unknown;
}

/** The operator's outcome, with a progress line every few seconds, or why it was not awaited to the end. */
async function awaitOutcome(
  step: Step,
  operator: OperatorRun,
): Promise<ReconfigureOutcome | "timeout" | "interrupted"> {
  const interrupted = step.interrupted.then(() => "interrupted" as const);
  for (;;) {
    const leftMs = step.deadlineMs - performance.now();
    if (leftMs <= 0) return "timeout";
    const tick = new Promise<"tick">((resolve) =>
      setTimeout(() => resolve("tick"), Math.min(progressEveryMs, leftMs)).unref(),
    );
    const first = await Promise.race([operator.outcome, interrupted, tick]);
    if (first !== "tick") return first;
    step.say(`waiting: operator ${operator.describe()}`);
  }
}

async function settle(
  step: Step,
  operator: OperatorRun,
  outcome: Awaited<ReturnType<typeof awaitOutcome>>,
): Promise<number> {
  const unknown = "the reconfiguration may still happen (the cluster runs on): see npm run kv -- view";
  if (outcome === "interrupted") return interrupted(step, unknown);
  if (outcome === "timeout")
    throw new CommandError(`no new epoch in time (operator ${operator.describe()}); ${unknown}`);
  if (outcome.kind === "invalid")
    throw new CommandError(`refused: ${outcome.reason}; nothing changed`, exitCodes.usage);
  if (outcome.kind === "busy")
    throw new CommandError(`${outcome.reason}; nothing changed by this request`, exitCodes.usage);
  const view = await step.clients.getView(5_000).catch(() => null);
  step.say(
    `epoch ${outcome.epoch} runs: ${outcome.members.join(", ")}${describePrimary(view, outcome.epoch)}`,
  );
  return exitCodes.ok;
}

function describePrimary(view: View | null, epoch: number): string {
  return view === null || view.epoch !== epoch
    ? ""
    : `; view ${view.viewNum}, primary ${view.primary ?? "-"}`;
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
