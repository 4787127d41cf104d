// The goals issues set, judged in the bench's own output from the figures of
// the same run (timing goals belong to the bench, not to unit tests: this
// machine is shared). Issue 16 sets VR's, issue 21 pb's runtime against the
// raw relay and etcd. The protocols are named by their registry names; a goal
// whose protocol the run did not measure is left out, one whose figure is
// missing says why.
import type { BenchGoal, BenchRow, ByClients, ProtocolFigures } from "../schemas/bench.js";
import { ratioByClients } from "./report.js";

/** VR with 3 replicas at least 0.8x P/B's throughput at 64 clients. */
export const throughputGoal = { protocol: "vr", over: "pb", clients: 64, atLeast: 0.8 } as const;
/** View change after a primary crash: median outage (crash to the first operation answered) at most 300 ms. */
export const outageGoal = { protocol: "vr", medianMsAtMost: 300 } as const;

/** Issue 21: pb against the unbatched raw relay (same run) and against etcd. */
export const runtimeGoals = {
  protocol: "pb",
  /** pb's p50 over the raw relay's, one client. */
  latencyOverRaw: { clients: 1, atMost: 1.2 },
  /** pb's ops/s over the raw relay's, 64 clients. */
  throughputOverRaw: { clients: 64, atLeast: 1.2 },
  /** pb's ops/s over etcd's, at 64 and at one client. */
  overEtcd: [
    { clients: 64, atLeast: 2 },
    { clients: 1, atLeast: 1.3 },
  ],
} as const;

/**
 * Every goal this run's protocols have. `peers`: the etcd and redis rows
 * (issue 21 compares pb with etcd).
 */
export function judgeGoals(
  protocols: readonly ProtocolFigures[],
  peers: readonly BenchRow[] = [],
): BenchGoal[] {
  const goals: BenchGoal[] = [];
  const vr = protocols.find((figures) => figures.protocol === throughputGoal.protocol);
  if (vr !== undefined) goals.push(throughputOf(vr, protocols), outageOf(vr));
  const pb = protocols.find((figures) => figures.protocol === runtimeGoals.protocol);
  if (pb !== undefined) goals.push(...runtimeGoalsOf(pb, peers));
  return goals;
}

function throughputOf(subject: ProtocolFigures, protocols: readonly ProtocolFigures[]): BenchGoal {
  const { over, clients, atLeast } = throughputGoal;
  const goal = {
    issue: 16,
    name: `${subject.protocol}-throughput`,
    figure: `${subject.protocol} / ${over} ops/s at ${clients} clients`,
    comparison: "atLeast" as const,
    target: atLeast,
  };
  if (!protocols.some((figures) => figures.protocol === over))
    return { ...goal, value: null, met: null, notMeasured: `${over} not measured (--protocols)` };
  return judged(goal, subject.ratios.overProtocols[over], clients);
}

function outageOf(subject: ProtocolFigures): BenchGoal {
  const goal = {
    issue: 16,
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

function runtimeGoalsOf(pb: ProtocolFigures, peers: readonly BenchRow[]): BenchGoal[] {
  const { latencyOverRaw, throughputOverRaw, overEtcd } = runtimeGoals;
  const name = pb.protocol;
  const goals: BenchGoal[] = [
    judged(
      {
        issue: 21,
        comparison: "atMost",
        name: `${name}-latency-over-raw`,
        figure: `${name} / raw p50 at ${latencyOverRaw.clients} client`,
        target: latencyOverRaw.atMost,
      },
      pb.ratios.p50OverRaw,
      latencyOverRaw.clients,
    ),
    judged(
      {
        issue: 21,
        name: `${name}-throughput-over-raw`,
        figure: `${name} / raw ops/s at ${throughputOverRaw.clients} clients`,
        comparison: "atLeast",
        target: throughputOverRaw.atLeast,
      },
      pb.ratios.overRaw,
      throughputOverRaw.clients,
    ),
  ];
  const etcdRows = peers.filter((row) => row.system === "etcd");
  const pbRows = pb.rows.filter((row) => row.system === "pbkv");
  const overEtcdRatios = ratioByClients(pbRows, etcdRows, (row) => row.opsPerSec);
  for (const { clients, atLeast } of overEtcd) {
    const goal = {
      issue: 21,
      name: `${name}-over-etcd-${clients}`,
      figure: `${name} / etcd ops/s at ${clients} client${clients === 1 ? "" : "s"}`,
      comparison: "atLeast" as const,
      target: atLeast,
    };
    goals.push(
      etcdRows.length === 0
        ? { ...goal, value: null, met: null, notMeasured: "etcd not measured (--peers)" }
        : judged(goal, overEtcdRatios, clients),
    );
  }
  return goals;
}

/** A ratio goal judged from the ratios by client count; not measured when the run had no such rows. */
function judged(
  goal: Omit<BenchGoal, "value" | "met" | "notMeasured">,
  ratios: ByClients | undefined,
  clients: number,
): BenchGoal {
  const value = ratios?.[String(clients)];
  if (value === undefined)
    return { ...goal, value: null, met: null, notMeasured: `no ${clients}-client rows (--clients)` };
  const met = goal.comparison === "atLeast" ? value >= goal.target : value <= goal.target;
  return { ...goal, value, met };
}
