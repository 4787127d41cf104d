// The broker steps of `npm run reconfigure` before the operator runs: which
// replica slots answer, and new replicas started by the cluster's supervisor
// (the `start` control command, acknowledged by a `fault.<node>` event) until
// each answers as ready (VR: a spare). A new member still recovering when the new epoch
// starts would only catch up later, so the operator waits for spares.
import { publishControl } from "../broker/controlPublish.js";
import type { Logger } from "pino";
import type { BrokerClients } from "../broker/clients.js";
import { EventSubscription } from "../broker/events.js";
import type { ClusterNames } from "../broker/topology.js";
import type { ReconfigurationSupport } from "../protocols/brokerSupport.js";
import type { ClusterEvent } from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import type { View } from "../schemas/view.js";
import { CommandError, exitCodes } from "./common.js";
import { replicaSlots } from "./reconfigureTarget.js";

export interface Step {
  clients: BrokerClients;
  /** The protocol's reconfiguration part (its slot query, the status of a replica ready to join). */
  support: ReconfigurationSupport;
  names: ClusterNames;
  log: Logger;
  say: (line: string) => void;
  /** performance.now() past which the command gives up. */
  deadlineMs: number;
  /** Resolves on Ctrl-C. */
  interrupted: Promise<unknown>;
  /** Whether Ctrl-C came. */
  stopRequested(): boolean;
}

/** A running replica answers GetView within this (it answers at once; a loaded machine is slower). */
const slotAnswerMs = 1_500;
/** The supervisor acknowledges a start within this. */
const startAckMs = 5_000;
/** A new replica is asked again this often until it is a spare. */
const spareAskMs = 1_000;

/** Every slot whose replica answers, with what it says (status, epoch, members). */
export async function runningSlots(step: Step): Promise<Map<string, View>> {
  const answers = await Promise.all(
    replicaSlots.map((slot) =>
      step.clients
        .getView(slotAnswerMs, [slot], step.support.slotQuery)
        .then((view) => [slot, view] as const)
        .catch(() => null),
    ),
  );
  return new Map(answers.filter((answer) => answer !== null));
}

/** Asks the supervisor to start `slots`, then waits until each answers as a spare. */
export async function startReplicas(step: Step, slots: readonly string[], cluster: string): Promise<void> {
  if (slots.length === 0) return;
  const effects = await askToStart(step, slots);
  for (const slot of slots) {
    const effect = effects.get(slot);
    if (effect === undefined)
      throw new CommandError(
        `no supervisor started ${slot} within ${startAckMs} ms: is the cluster running under npm run cluster -- --cluster ${cluster} --protocol vr? (nothing changed)`,
      );
    step.say(`${slot}: ${effect}`);
    if (effect.startsWith("not started") && !effect.includes("already running"))
      throw new CommandError(`${slot} ${effect}; nothing changed`);
  }
  for (const slot of slots) await untilSpare(step, slot);
}

async function askToStart(step: Step, slots: readonly string[]): Promise<Map<string, string>> {
  const { clients, names, log } = step;
  const effects = new Map<string, string>();
  let allIn: () => void = () => {};
  const done = new Promise<void>((resolve) => (allIn = resolve));
  const onEvent = (event: ClusterEvent): void => {
    if (event.type !== "fault" || event.command.type !== "start" || !slots.includes(event.node)) return;
    effects.set(event.node, event.effect);
    if (effects.size === slots.length) allIn();
  };
  const subscription = new EventSubscription(names, ["fault.*"], onEvent, log);
  await clients.connection.add(subscription);
  try {
    for (const node of slots) {
      const command: ControlCommand = { type: "start", node };
      publishControl(clients.connection, names, command);
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, startAckMs).unref())]);
  } finally {
    await subscription.stop(clients.connection);
  }
  return effects;
}

async function untilSpare(step: Step, slot: string): Promise<void> {
  let said = "";
  for (;;) {
    if (performance.now() > step.deadlineMs)
      throw new CommandError(
        `${slot} did not become a spare in time (last: ${said || "no answer"}); nothing asked of the group`,
      );
    const view = await step.clients.getView(spareAskMs, [slot], step.support.slotQuery).catch(() => null);
    const status = view === null ? "no answer yet" : (view.status ?? "?");
    if (status === step.support.readyStatus) return step.say(`${slot}: ${status}`);
    if (status !== said) step.say(`${slot}: ${status}`);
    said = status;
    const interrupted = await Promise.race([
      step.interrupted.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), view === null ? 0 : spareAskMs)),
    ]);
    if (interrupted)
      throw new CommandError(
        `interrupted while ${slot} was starting; nothing asked of the group`,
        exitCodes.unknown,
      );
  }
}
