// The goals issue 16 sets for Viewstamped Replication, judged in the bench's
// own output from the figures of the same run (timing goals belong to the
// bench, not to unit tests: this machine is shared). The protocols are named
// by their registry names; a goal whose protocol the run did not measure is
// left out, one whose figure is missing says why.
import type { BenchGoal, ProtocolFigures } from "../schemas/bench.js";

/** VR with 3 replicas at least 0.8x P/B's throughput at 64 clients. */
export const throughputGoal = { protocol: "vr", over: "pb", clients: 64, atLeast: 0.8 } as const;
/** View change after a primary crash: median outage (crash to the first operation answered) at most 300 ms. */
export const outageGoal = { protocol: "vr", medianMsAtMost: 300 } as const;

export function judgeGoals(protocols: readonly ProtocolFigures[]): BenchGoal[] {
  const subject = protocols.find((figures) => figures.protocol === throughputGoal.protocol);
  if (subject === undefined) return [];
  return [throughputOf(subject, protocols), outageOf(subject)];
}

function throughputOf(subject: ProtocolFigures, protocols: readonly ProtocolFigures[]): BenchGoal {
  const { over, clients, atLeast } = throughputGoal;
  const goal = {
    name: `${subject.protocol}-throughput`,
    figure: `${subject.protocol} / ${over} ops/s at ${clients} clients`,
    comparison: "atLeast" as const,
    target: atLeast,
  };
  if (!protocols.some((figures) => figures.protocol === over))
    return { ...goal, value: null, met: null, notMeasured: `${over} not measured (--protocols)` };
  const value = subject.ratios.overProtocols[over]?.[String(clients)];
  if (value === undefined)
    return { ...goal, value: null, met: null, notMeasured: `no ${clients}-client rows (--clients)` };
  return { ...goal, value, met: value >= atLeast };
}

function outageOf(subject: ProtocolFigures): BenchGoal {
  const goal = {
    name: `${subject.protocol}-failover`,
    figure: `${subject.protocol} median failover outage, crash to the first operation answered (ms)`,
    comparison: "atMost" as const,
    target: outageGoal.medianMsAtMost,
  };
  const failover = subject.failover;
  if (failover === null) return { ...goal, value: null, met: null, notMeasured: "no failover rounds" };
  const value = failover.restoredMedianMs;
  return { ...goal, value, met: value <= outageGoal.medianMsAtMost };
}
