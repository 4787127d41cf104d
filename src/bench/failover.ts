// Failover under load: with closed-loop clients running on pbkv, the primary
// is crashed through the control queue, the backup takes over, and the
// crashed server is restarted (fresh state, same address) to be the next
// spare. Each round measures what clients saw (the longest wait of an
// operation outstanding at the crash) and what the cluster did (the view
// server's (the configuring node's) next view; the new primary's backup confirming the state
// transfer, when the new primary acknowledges the view).
import type { FailoverReport, FailoverRound } from "../schemas/bench.js";
import { ClosedLoop, type OpSample } from "./closedLoop.js";
import { type BenchCluster, BenchClusterError, sleep } from "./cluster.js";
import type { Progress } from "./progress.js";
import { median, type NextOp, roundTo } from "./workload.js";

export interface FailoverOptions {
  rounds: number;
  clients: number;
  nextOp: NextOp;
  opTimeoutMs: number;
  /** Normal operation before each crash. */
  steadyMs: number;
  /** Longest a round may take before the bench gives up. */
  roundTimeoutMs: number;
  progress: Progress;
}

/** Event times are whole epoch milliseconds from another process: a little slack. */
const clockSlackMs = 2;

interface Crash {
  atMs: number;
  atEpochMs: number;
  outageMs: number;
}

export async function runFailover(cluster: BenchCluster, options: FailoverOptions): Promise<FailoverReport> {
  let crash: Crash | null = null;
  const onOp = (sample: OpSample): void => {
    if (crash === null || sample.completedMs < crash.atMs) return;
    crash.outageMs = Math.max(crash.outageMs, sample.completedMs - sample.invokedMs);
  };
  await cluster.pool.ensure(options.clients);
  const loop = new ClosedLoop({
    pool: cluster.pool,
    workers: options.clients,
    nextOp: options.nextOp,
    opTimeoutMs: options.opTimeoutMs,
    onOp,
  });
  const rounds: FailoverRound[] = [];
  loop.start();
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const label = `failover ${round}/${options.rounds} (${options.clients} clients)`;
      options.progress.show(label, (round - 1) / options.rounds, "steady", true);
      await sleep(options.steadyMs);
      const before = await cluster.waitForServingView(
        (view) => view.primary !== null && cluster.protocol.broker.ready(view),
        options.roundTimeoutMs,
      );
      const crashed = before.primary ?? "";
      const eventsFrom = cluster.events.length;
      const current: Crash = { atMs: performance.now(), atEpochMs: Date.now(), outageMs: 0 };
      crash = current;
      cluster.control({ type: "crash", node: crashed });
      options.progress.show(label, (round - 0.5) / options.rounds, `crashed ${crashed}`, true);
      const viewEvent = await cluster.waitForEvent(
        (event) =>
          event.type === "view" &&
          cluster.isConfiguringNode(event.node) &&
          event.view.viewNum > before.viewNum &&
          event.view.primary !== crashed,
        options.roundTimeoutMs,
        `a view after ${before.viewNum} without ${crashed} as primary`,
        eventsFrom,
      );
      if (viewEvent.type !== "view") throw new BenchClusterError("not a view event");
      // The first view acknowledged after the crash: that one, or a later one if a starved
      // server was declared dead meanwhile.
      const transfer = await cluster.waitForEvent(
        (event) =>
          event.type === "transfer" && event.node !== crashed && event.viewNum >= viewEvent.view.viewNum,
        options.roundTimeoutMs,
        `a view after ${before.viewNum} acknowledged`,
        eventsFrom,
      );
      // The primary crashes when its host gets the command, a few ms after it was published; the
      // event says when (epoch ms). Every operation outstanding then must be answered.
      const crashedEvent = await cluster.waitForEvent(
        (event) => event.type === "lifecycle" && event.node === crashed && event.state === "crashed",
        options.roundTimeoutMs,
        `${crashed} crashed`,
        eventsFrom,
      );
      const crashedAtMs = current.atMs + Math.max(0, crashedEvent.at - current.atEpochMs) + clockSlackMs;
      await waitUntil(
        () => loop.invokedAtMs.every((invokedMs) => invokedMs === null || invokedMs > crashedAtMs),
        options.roundTimeoutMs,
        "every operation outstanding at the crash answered",
      );
      crash = null;
      rounds.push({
        crashed,
        promoted: viewEvent.view.primary ?? "",
        outageMs: roundTo(current.outageMs, 1),
        newViewMs: Math.max(0, viewEvent.at - current.atEpochMs),
        viewAckedMs: Math.max(0, transfer.at - current.atEpochMs),
      });
      cluster.control({ type: "restart", node: crashed });
      await cluster.waitForEvent(
        (event) => event.type === "lifecycle" && event.node === crashed && event.state === "restarted",
        options.roundTimeoutMs,
        `${crashed} restarted`,
        eventsFrom,
      );
    }
  } finally {
    await loop.stop();
    cluster.servedOps += loop.completedOps;
  }
  const outagesMs = rounds.map((round) => round.outageMs);
  const ackedMs = rounds.map((round) => round.viewAckedMs);
  return {
    clients: options.clients,
    outagesMs,
    medianMs: roundTo(median(outagesMs), 1),
    maxMs: Math.max(...outagesMs),
    viewAckedMedianMs: roundTo(median(ackedMs), 1),
    viewAckedMaxMs: Math.max(...ackedMs),
    rounds,
  };
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadlineMs) throw new BenchClusterError(`not within ${timeoutMs} ms: ${what}`);
    await sleep(5);
  }
}
