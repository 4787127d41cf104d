// Failover under load: with closed-loop clients running on a cluster of the
// protocol, the primary (or, for a protocol with `bench.failover` positions,
// the server at the position measured: chain's head, middle server or tail)
// is crashed through the control queue, the protocol moves to a view without
// it, and the crashed server is restarted (fresh state, same address: pb's
// next spare, VR's recovering replica, chain's spare). Each round
// measures what clients saw (crash to the first operation answered by the new
// view, and the longest wait of an operation outstanding at the crash) and
// what the cluster did (the configuring nodes' next view; when it served,
// `bench.servingEvent`). A round starts only once the cluster serves with its
// full redundancy again (`waitForServingView`: VR's restarted replica recovered;
// `isFull`: chain's every link). Reads and updates are timed apart as well:
// chain serves them at different ends, so a lost head stops updates only.
import type { FailoverReport, FailoverRound } from "../schemas/bench.js";
import type { Address } from "../schemas/address.js";
import type { View } from "../schemas/view.js";
import { ClosedLoop, type OpSample } from "./closedLoop.js";
import { type BenchCluster, BenchClusterError, sleep } from "./cluster.js";
import type { Progress } from "./progress.js";
import { median, type NextOp, roundTo } from "./workload.js";

/** What every phase of rounds under a closed-loop load takes (failover, reconfiguration). */
export interface LoadRoundOptions {
  rounds: number;
  clients: number;
  nextOp: NextOp;
  opTimeoutMs: number;
  /** Normal operation around each round's event (before a crash; before and after a reconfiguration). */
  steadyMs: number;
  /** Longest a round may take before the bench gives up. */
  roundTimeoutMs: number;
  progress: Progress;
}

/** The closed-loop load a phase of rounds runs under, started: `onOp` hears every operation. */
export async function startLoad(
  cluster: BenchCluster,
  options: LoadRoundOptions,
  onOp: (sample: OpSample) => void,
): Promise<ClosedLoop> {
  await cluster.pool.ensure(options.clients);
  const loop = new ClosedLoop({
    pool: cluster.pool,
    workers: options.clients,
    nextOp: options.nextOp,
    opTimeoutMs: options.opTimeoutMs,
    onOp,
  });
  loop.start();
  return loop;
}

export interface FailoverOptions extends LoadRoundOptions {
  /** The `bench.failover` position crashed (chain: "head"), or null: the view's primary. */
  position: string | null;
}

/** Event times are whole epoch milliseconds from another process: a little slack. */
const clockSlackMs = 2;

interface Crash {
  atMs: number;
  atEpochMs: number;
  outageMs: number;
  /** The longest wait of a read, and of an update, answered after the crash command; null: none answered in the round. */
  readOutageMs: number | null;
  updateOutageMs: number | null;
  /** When each operation answered after the crash command completed (performance.now() ms). */
  answeredMs: number[];
}

export async function runFailover(cluster: BenchCluster, options: FailoverOptions): Promise<FailoverReport> {
  let crash: Crash | null = null;
  const onOp = (sample: OpSample): void => {
    if (crash === null || sample.completedMs < crash.atMs) return;
    const waitMs = sample.completedMs - sample.invokedMs;
    crash.outageMs = Math.max(crash.outageMs, waitMs);
    if (sample.read) crash.readOutageMs = Math.max(crash.readOutageMs ?? 0, waitMs);
    else crash.updateOutageMs = Math.max(crash.updateOutageMs ?? 0, waitMs);
    if (sample.ok) crash.answeredMs.push(sample.completedMs);
  };
  const loop = await startLoad(cluster, options, onOp);
  const rounds: FailoverRound[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const at = options.position === null ? "" : ` at the ${options.position}`;
      const label = `${cluster.protocol.name} failover${at} ${round}/${options.rounds} (${options.clients} clients)`;
      options.progress.show(label, (round - 1) / options.rounds, "steady", true);
      await sleep(options.steadyMs);
      const before = await cluster.waitForServingView(
        options.roundTimeoutMs,
        (view) => cluster.isFull(view) && crashTarget(cluster, view, options.position) !== null,
      );
      const current: Crash = {
        atMs: performance.now(),
        atEpochMs: Date.now(),
        outageMs: 0,
        readOutageMs: null,
        updateOutageMs: null,
        answeredMs: [],
      };
      crash = current;
      const progressAt = (round - 0.5) / options.rounds;
      rounds.push(await crashRound(cluster, before, current, loop, options, { label, progressAt }));
      crash = null;
    }
  } finally {
    crash = null;
    await loop.stop();
    cluster.servedOps += loop.completedOps;
  }
  const outagesMs = rounds.map((round) => round.outageMs);
  const ackedMs = rounds.map((round) => round.viewAckedMs);
  const restoredMs = rounds.map((round) => round.restoredMs);
  return {
    ...(options.position === null ? {} : { position: options.position }),
    clients: options.clients,
    outagesMs,
    medianMs: roundTo(median(outagesMs), 1),
    maxMs: Math.max(...outagesMs),
    viewAckedMedianMs: roundTo(median(ackedMs), 1),
    viewAckedMaxMs: Math.max(...ackedMs),
    restoredMedianMs: roundTo(median(restoredMs), 1),
    restoredMaxMs: Math.max(...restoredMs),
    ...outagesByKind(rounds),
    rounds,
  };
}

/** The server the round crashes in `view`: its primary, or the one at the protocol's failover position. */
function crashTarget(cluster: BenchCluster, view: View, position: string | null): Address | null {
  if (position === null) return view.primary;
  const positions = cluster.protocol.bench.failover;
  if (positions === undefined)
    throw new BenchClusterError(`${cluster.protocol.name} has no failover positions`);
  return positions.serverAt(view, position);
}

/** The view the crash leads to: a later one without the crashed server as primary (or in any place, with positions). */
function replaces(cluster: BenchCluster, view: View, before: View, crashed: Address): boolean {
  if (view.viewNum <= before.viewNum) return false;
  const positions = cluster.protocol.bench.failover;
  return positions === undefined ? view.primary !== crashed : positions.without(view, crashed);
}

/** Crashes `before`'s server at the position, waits for a view without it that serves and every operation caught by the crash, restarts it. */
async function crashRound(
  cluster: BenchCluster,
  before: View,
  current: Crash,
  loop: ClosedLoop,
  options: FailoverOptions,
  progress: { label: string; progressAt: number },
): Promise<FailoverRound> {
  const crashed = crashTarget(cluster, before, options.position) ?? "";
  const eventsFrom = cluster.events.length;
  cluster.control({ type: "crash", node: crashed });
  options.progress.show(progress.label, progress.progressAt, `crashed ${crashed}`, true);
  const viewEvent = await cluster.waitForEvent(
    (event) =>
      event.type === "view" &&
      cluster.isConfiguringNode(event.node) &&
      replaces(cluster, event.view, before, crashed),
    options.roundTimeoutMs,
    `a view after ${before.viewNum} without ${crashed}`,
    eventsFrom,
  );
  if (viewEvent.type !== "view") throw new BenchClusterError("not a view event");
  const servingEvent = cluster.protocol.bench.servingEvent;
  // pb: the new primary heard its backup installed the state; a protocol without the hook serves from its view event.
  const serving =
    servingEvent === undefined
      ? viewEvent
      : await cluster.waitForEvent(
          (event) => servingEvent(viewEvent.view, event),
          options.roundTimeoutMs,
          `view ${viewEvent.view.viewNum} serving`,
          eventsFrom,
        );
  // The primary crashes when its host gets the command, a few ms after it was published; the
  // event says when (epoch ms).
  const crashedEvent = await cluster.waitForEvent(
    (event) => event.type === "lifecycle" && event.node === crashed && event.state === "crashed",
    options.roundTimeoutMs,
    `${crashed} crashed`,
    eventsFrom,
  );
  const crashedAtMs = current.atMs + Math.max(0, crashedEvent.at - current.atEpochMs);
  // Operations sent to the dead server until the new view served wait as long as those outstanding
  // at the crash, and may be the only ones of their kind (chain: with the head lost, reads go on and
  // only updates wait): every one of them must be answered for the longest waits to be known.
  const servedAtMs = current.atMs + Math.max(0, serving.at - current.atEpochMs);
  const untilMs = Math.max(crashedAtMs, servedAtMs) + clockSlackMs;
  await waitUntil(
    () => loop.invokedAtMs.every((invokedMs) => invokedMs === null || invokedMs > untilMs),
    options.roundTimeoutMs,
    "every operation sent before the new view served answered",
  );
  const round: FailoverRound = {
    ...(options.position === null ? {} : { position: options.position }),
    crashed,
    promoted: viewEvent.view.primary ?? "",
    ...(viewEvent.view.chain === undefined ? {} : { chainAfter: [...viewEvent.view.chain] }),
    outageMs: roundTo(current.outageMs, 1),
    ...(current.readOutageMs === null ? {} : { readOutageMs: roundTo(current.readOutageMs, 1) }),
    ...(current.updateOutageMs === null ? {} : { updateOutageMs: roundTo(current.updateOutageMs, 1) }),
    restoredMs: roundTo(restoredAfter(crashedAtMs, current.answeredMs), 1),
    newViewMs: Math.max(0, viewEvent.at - current.atEpochMs),
    viewAckedMs: Math.max(0, serving.at - current.atEpochMs),
  };
  cluster.control({ type: "restart", node: crashed });
  await cluster.waitForEvent(
    (event) => event.type === "lifecycle" && event.node === crashed && event.state === "restarted",
    options.roundTimeoutMs,
    `${crashed} restarted`,
    eventsFrom,
  );
  return round;
}

/**
 * The medians of the longest read and update waits, each over the rounds
 * that answered one of its kind after the crash (with few clients and few
 * updates, a round may see none); absent when no round did.
 */
export function outagesByKind(
  rounds: readonly FailoverRound[],
): Pick<FailoverReport, "readOutageMedianMs" | "updateOutageMedianMs"> {
  const medianOf = (waits: (number | undefined)[]): number | undefined => {
    const answered = waits.filter((waitMs) => waitMs !== undefined);
    return answered.length === 0 ? undefined : roundTo(median(answered), 1);
  };
  const reads = medianOf(rounds.map((round) => round.readOutageMs));
  const updates = medianOf(rounds.map((round) => round.updateOutageMs));
  return {
    ...(reads === undefined ? {} : { readOutageMedianMs: reads }),
    ...(updates === undefined ? {} : { updateOutageMedianMs: updates }),
  };
}

/**
 * Crash to service restored: the end of the longest silence between answers
 * from the crash on. Replies the dead primary sent just before it crashed
 * still arrive in the first milliseconds, so the first answer after the
 * crash is not the restoration; the answer that ends the longest gap is the
 * first the new view gave (a closed loop of 16 clients otherwise answers
 * every millisecond or so).
 */
export function restoredAfter(crashedAtMs: number, answeredMs: readonly number[]): number {
  const after = answeredMs.filter((at) => at >= crashedAtMs).sort((a, b) => a - b);
  let previousMs = crashedAtMs;
  let gapMs = -1;
  let restoredMs = 0;
  for (const at of after) {
    if (at - previousMs > gapMs) {
      gapMs = at - previousMs;
      restoredMs = at - crashedAtMs;
    }
    previousMs = at;
  }
  return restoredMs;
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadlineMs) throw new BenchClusterError(`not within ${timeoutMs} ms: ${what}`);
    await sleep(5);
  }
}
