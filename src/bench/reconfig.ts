// Reconfiguration under load (issue 19): with closed-loop clients running on
// a cluster of a protocol whose group changes at run time (VR's epochs), each
// round asks the protocol's operator for the next group, as `npm run
// reconfigure` does, and measures what clients saw. The group's size stays
// bounded: a round on the configured size grows it by one replica in a spare
// slot the supervisor starts (3 -> 4; the round waits until it answers as a
// spare, before the measured stretch), the next one removes the primary
// (4 -> 3: the new epoch needs another primary too). Times count from the
// request (the operator's first message): the longest wait of an operation
// answered from then to the end of the round (the pause) and of one
// outstanding at the request, the longest silence between answers,
// the new epoch announced and running (CheckEpoch answered), and the
// throughput before, during and after.
import type { Logger } from "pino";
import { type OperatorRun, startOperator } from "../broker/operatorRun.js";
import { reconfigureTarget } from "../cli/reconfigureTarget.js";
import type { ReconfigurationSupport, ReconfigureOutcome } from "../protocols/brokerSupport.js";
import type { Address } from "../schemas/address.js";
import type { ReconfigurationKind, ReconfigurationReport, ReconfigurationRound } from "../schemas/bench.js";
import type { View } from "../schemas/view.js";
import { ClosedLoop, type OpSample } from "./closedLoop.js";
import { type BenchCluster, BenchClusterError, sleep } from "./cluster.js";
import { type LoadRoundOptions, startLoad, waitUntil } from "./failover.js";
import { median, roundTo } from "./workload.js";

export interface ReconfigurationOptions extends LoadRoundOptions {
  log: Logger;
}

/** The next group a round asks for. */
interface Plan {
  kind: ReconfigurationKind;
  members: Address[];
  added: Address[];
  removed: Address[];
}

/** When a round's request went out and its epoch ran (performance.now() ms), and its steady stretches. */
export interface RoundTimes {
  requestedMs: number;
  runningMs: number;
  steadyMs: number;
}

/** A new replica answers its slot's query within this once its process runs. */
const slotAnswerMs = 1_000;
const progressTickMs = 200;

export async function runReconfigurations(
  cluster: BenchCluster,
  options: ReconfigurationOptions,
): Promise<ReconfigurationReport> {
  const support = cluster.protocol.broker.reconfiguration;
  if (support === undefined)
    throw new BenchClusterError(`${cluster.protocol.name}'s group does not change at run time`);
  const samples: OpSample[] = [];
  const loop = await startLoad(cluster, options, (sample) => samples.push(sample));
  const rounds: ReconfigurationRound[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      samples.length = 0; // each round reads only its own operations
      rounds.push(await reconfigurationRound(cluster, support, loop, samples, options, round));
    }
  } finally {
    await loop.stop();
    cluster.servedOps += loop.completedOps;
  }
  const pauses = rounds.map((round) => round.pauseMs);
  const running = rounds.map((round) => round.epochRunningMs);
  return {
    clients: options.clients,
    pauseMedianMs: roundTo(median(pauses), 1),
    pauseMaxMs: Math.max(...pauses),
    epochRunningMedianMs: roundTo(median(running), 1),
    epochRunningMaxMs: Math.max(...running),
    rounds,
  };
}

async function reconfigurationRound(
  cluster: BenchCluster,
  support: ReconfigurationSupport,
  loop: ClosedLoop,
  samples: readonly OpSample[],
  options: ReconfigurationOptions,
  round: number,
): Promise<ReconfigurationRound> {
  const label = `${cluster.protocol.name} reconfiguration ${round}/${options.rounds} (${options.clients} clients)`;
  const show = (fraction: number, detail: string): void =>
    options.progress.show(label, (round - 1 + fraction) / options.rounds, detail, true);
  show(0, "waiting for a serving view");
  const plan = planOf(cluster, await cluster.waitForServingView(options.roundTimeoutMs));
  for (const slot of plan.added) {
    show(0.1, `starting ${slot}`);
    await startSpare(cluster, support, slot, options.roundTimeoutMs);
  }
  show(0.3, "steady");
  await sleep(options.steadyMs);
  // Read again: the view may have moved meanwhile, and the operator starts from the latest.
  const before = await cluster.waitForServingView(options.roundTimeoutMs);
  const epochBefore = before.epoch ?? 0;
  const eventsFrom = cluster.events.length;
  const operator = await startOperator({
    names: cluster.names,
    connection: cluster.connection,
    protocol: cluster.protocol,
    config: cluster.run.config,
    from: { epoch: epochBefore, members: before.replicas ?? [], viewNum: before.viewNum },
    target: plan.members,
    log: options.log,
  });
  let settled: { outcome: ReconfigureOutcome; atMs: number };
  try {
    settled = await awaitOutcome(operator, options.roundTimeoutMs, (detail) => show(0.5, detail));
  } finally {
    await operator.stop();
  }
  const { outcome, atMs: runningMs } = settled;
  const requestedMs = operator.requestedAtMs;
  if (outcome.kind !== "running" || requestedMs === null)
    throw new BenchClusterError(
      `${cluster.names.cluster}: reconfiguration to ${plan.members.join(", ")} not done: ${outcome.kind === "running" ? "no request sent" : outcome.reason}`,
    );
  const requestedEpochMs = Date.now() - (performance.now() - requestedMs);
  const announced = await cluster.waitForEvent(
    (event) =>
      event.type === "view" &&
      cluster.isConfiguringNode(event.node) &&
      (event.view.epoch ?? 0) === outcome.epoch,
    options.roundTimeoutMs,
    `a view of epoch ${outcome.epoch}`,
    eventsFrom,
  );
  show(0.8, `epoch ${outcome.epoch} runs`);
  await sleep(options.steadyMs);
  await waitUntil(
    () => loop.invokedAtMs.every((invokedMs) => invokedMs === null || invokedMs > runningMs),
    options.roundTimeoutMs,
    "every operation sent before the new epoch ran answered",
  );
  return {
    kind: plan.kind,
    epochBefore,
    epochAfter: outcome.epoch,
    membersBefore: [...(before.replicas ?? [])],
    membersAfter: [...outcome.members],
    added: plan.added,
    removed: plan.removed,
    ...pauseFigures(samples, { requestedMs, runningMs, steadyMs: options.steadyMs }),
    epochAnnouncedMs: Math.max(0, Math.round(announced.at - requestedEpochMs)),
    epochRunningMs: roundTo(runningMs - requestedMs, 1),
  };
}

/** Grow by one slot while the group has the configured size, else take the primary out. */
function planOf(cluster: BenchCluster, view: View): Plan {
  const members = view.replicas ?? [];
  const kind: ReconfigurationKind = members.length > cluster.spec.servers ? "shrink" : "grow";
  const running = cluster.supervisor.addresses.filter((node) => cluster.isRunning(node));
  const target = reconfigureTarget({
    members,
    running,
    add: kind === "grow" ? 1 : 0,
    remove: kind === "shrink" && view.primary !== null ? [view.primary] : [],
  });
  if (!target.ok) throw new BenchClusterError(`${cluster.names.cluster}: no ${kind} round: ${target.reason}`);
  return { kind, members: target.members, added: target.added, removed: target.removed };
}

/** Has the supervisor start `slot` and waits until it answers as ready to join (VR: a spare). */
async function startSpare(
  cluster: BenchCluster,
  support: ReconfigurationSupport,
  slot: Address,
  timeoutMs: number,
): Promise<void> {
  cluster.startNode(slot);
  let status = "no answer";
  await waitUntilAsync(
    async () => {
      const view = await cluster.clients.getView(slotAnswerMs, [slot], support.slotQuery).catch(() => null);
      status = view?.status ?? "no answer";
      return status === support.readyStatus;
    },
    timeoutMs,
    () => `${slot} ${support.readyStatus} (last: ${status})`,
  );
}

async function waitUntilAsync(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() >= deadlineMs) throw new BenchClusterError(`not within ${timeoutMs} ms: ${what()}`);
    await sleep(50);
  }
}

/** The operator's outcome and when it came, with its state on the progress line meanwhile. */
async function awaitOutcome(
  operator: OperatorRun,
  timeoutMs: number,
  show: (detail: string) => void,
): Promise<{ outcome: ReconfigureOutcome; atMs: number }> {
  const settled = operator.outcome.then((outcome) => ({ outcome, atMs: performance.now() }));
  const deadlineMs = performance.now() + timeoutMs;
  for (;;) {
    const tick = sleep(progressTickMs).then(() => null);
    const first = await Promise.race([settled, tick]);
    if (first !== null) return first;
    if (performance.now() >= deadlineMs)
      throw new BenchClusterError(`no new epoch within ${timeoutMs} ms (operator ${operator.describe()})`);
    show(`operator: ${operator.describe()}`);
  }
}

/**
 * What the clients saw, from their operations (answered or timed out): the
 * longest wait of one answered from the request to the end of the round (the
 * steady stretch after the epoch ran included: a disruption the new epoch
 * brings counts), and of one outstanding at the request; the longest stretch
 * without an answer from the request on; ops/s in the steady stretch before the
 * request, from the request until the epoch ran, and in the steady stretch after.
 */
export function pauseFigures(
  samples: readonly OpSample[],
  times: RoundTimes,
): Pick<
  ReconfigurationRound,
  "pauseMs" | "requestWaitMs" | "silenceMs" | "opsPerSecBefore" | "opsPerSecDuring" | "opsPerSecAfter"
> {
  const { requestedMs, runningMs, steadyMs } = times;
  const after = samples.filter((sample) => sample.completedMs >= requestedMs);
  // A reduce, not Math.max(...): a round holds thousands of operations.
  const longest = (chosen: readonly OpSample[]): number =>
    roundTo(
      chosen.reduce((most, sample) => Math.max(most, sample.completedMs - sample.invokedMs), 0),
      1,
    );
  const outstanding = after.filter((sample) => sample.invokedMs <= requestedMs);
  const answeredMs = samples.filter((sample) => sample.ok).map((sample) => sample.completedMs);
  const rate = (fromMs: number, toMs: number): number => {
    const count = answeredMs.filter((at) => at >= fromMs && at < toMs).length;
    return toMs > fromMs ? Math.round((count / (toMs - fromMs)) * 1000) : 0;
  };
  return {
    pauseMs: longest(after),
    requestWaitMs: longest(outstanding),
    silenceMs: roundTo(longestSilence(requestedMs, answeredMs), 1),
    opsPerSecBefore: rate(requestedMs - steadyMs, requestedMs),
    opsPerSecDuring: rate(requestedMs, runningMs),
    opsPerSecAfter: rate(runningMs, runningMs + steadyMs),
  };
}

/** The longest stretch from `fromMs` on between two answers (or from `fromMs` to the first). */
function longestSilence(fromMs: number, answeredMs: readonly number[]): number {
  const after = answeredMs.filter((at) => at >= fromMs).sort((a, b) => a - b);
  let previousMs = fromMs;
  let longestMs = 0;
  for (const at of after) {
    longestMs = Math.max(longestMs, at - previousMs);
    previousMs = at;
  }
  return longestMs;
}
