// The benchmark's figures: rows from the measured windows, the ratios
// between systems, and the table `npm run bench` prints.
import { percentile } from "../broker/workload.js";
import type {
  BenchGoal,
  BenchReport,
  BenchRow,
  BenchSystem,
  ByClients,
  FailoverReport,
  MemoryReport,
  ProtocolFigures,
  ReconfigurationReport,
} from "../schemas/bench.js";
import type { WindowResult } from "./closedLoop.js";
import { peerSpecs } from "./peers.js";
import { roundTo } from "./workload.js";

/** Windows of one system at one client count, pooled over the rounds. */
export class RowAccumulator {
  private ops = 0;
  private elapsedMs = 0;
  private viewChanges = 0;
  private readonly latenciesMs: number[] = [];

  constructor(
    readonly system: BenchSystem,
    readonly clients: number,
    /** The protocol a cluster of pbkv's runtime ran; undefined for raw and the peers. */
    readonly protocol?: string,
  ) {}

  add(window: WindowResult): void {
    this.ops += window.ops;
    this.viewChanges += window.viewChanges;
    this.elapsedMs += window.elapsedMs;
    for (const latency of window.latenciesMs) this.latenciesMs.push(latency);
  }

  row(): BenchRow {
    return {
      system: this.system,
      ...(this.protocol === undefined ? {} : { protocol: this.protocol }),
      clients: this.clients,
      opsPerSec: this.elapsedMs > 0 ? Math.round((this.ops / this.elapsedMs) * 1000) : 0,
      p50Ms: latencyOrZero(percentile(this.latenciesMs, 50)),
      p99Ms: latencyOrZero(percentile(this.latenciesMs, 99)),
      ops: this.ops,
      windowMs: Math.max(1, Math.round(this.elapsedMs)),
      viewChanges: this.viewChanges,
    };
  }
}

function latencyOrZero(value: number): number {
  return Number.isFinite(value) ? roundTo(value, 2) : 0;
}

/** `numerator / denominator` per client count, for the counts both have (0 when the denominator is 0). */
export function ratioByClients(
  numerator: readonly BenchRow[],
  denominator: readonly BenchRow[],
  figure: (row: BenchRow) => number,
): ByClients {
  const ratios: ByClients = {};
  for (const row of numerator) {
    const other = denominator.find((candidate) => candidate.clients === row.clients);
    if (other === undefined) continue;
    const below = figure(other);
    ratios[String(row.clients)] = below > 0 ? roundTo(figure(row) / below, 2) : 0;
  }
  return ratios;
}

export function rowsOf(rows: readonly BenchRow[], system: BenchSystem): BenchRow[] {
  return rows.filter((row) => row.system === system);
}

// ---------------------------------------------------------------- the table

export function formatReport(report: BenchReport): string {
  const setup = report.setup;
  const lines: string[] = [
    `pbkv bench${report.quick ? " (quick)" : ""}: raw (plain amqplib relay, no pbkv runtime); per protocol its ceiling (relay actors along its message pattern through pbkv's runtime), unreplicated (1 server) and pbkv (replicated)`,
    ...report.protocols.map(
      (figures) => `  ${figures.protocol}: ${figures.servers} servers; ${settingsText(figures.settings)}`,
    ),
    `closed-loop clients ${setup.clientsIn}; ${percent(setup.mix.get)} get, ${percent(setup.mix.put)} put, ${percent(setup.mix.append)} append over ${setup.keys} keys; ` +
      `${seconds(setup.warmupMs)} warm-up, ${seconds(setup.windowMs)} window per row${setup.rounds > 1 ? `, ${setup.rounds} rounds pooled` : ""}`,
    "",
    ...rowsTable(report),
    "",
  ];
  for (const figures of report.protocols) lines.push(...formatRatios(figures));
  for (const peer of peerSpecs) {
    const ratios = peer.system === "etcd" ? report.ratios.pbkvOverEtcd : report.ratios.pbkvOverRedis;
    if (Object.keys(ratios).length === 0) continue;
    lines.push(
      `${`${setup.protocols[0] ?? "pbkv"} / ${peer.system} (ops/s)`.padEnd(29)} ${byClients(ratios)}`,
    );
    lines.push(`  (${peer.system}: ${peer.guarantees})`);
  }
  if (report.batching.length > 0) {
    lines.push(
      "",
      "batching: pb ops/s over its ceiling's, each setting on its own cluster measured in turn with the ceiling",
    );
    for (const variant of report.batching) {
      const name = `forwardBatchMax ${variant.forwardBatchMax}, forwardWindow ${variant.forwardWindow}`;
      const figures = variant.rows.map((row) => `${row.clients}: ${row.opsPerSec} ops/s`).join(", ");
      lines.push(`  ${name.padEnd(38)} ${byClients(variant.pbkvOverCeiling)}   (${figures})`);
    }
  }
  for (const figures of report.protocols)
    for (const failover of figures.failoverByPosition ??
      (figures.failover === null ? [] : [figures.failover]))
      lines.push("", ...formatFailover(figures.protocol, failover));
  for (const figures of report.protocols)
    if (figures.reconfiguration !== undefined)
      lines.push("", ...formatReconfiguration(figures.protocol, figures.reconfiguration));
  if (report.memory !== null) lines.push("", ...formatMemory(report.memory, setup.protocols[0] ?? "pbkv"));
  if (report.goals.length > 0) lines.push("", ...formatGoals(report.goals));
  const machine = report.machine;
  lines.push(
    "",
    `${roundTo(report.wallSeconds, 1)} s on ${machine.cpus} CPUs; load average ${machine.loadAverageStart} at the start, ${machine.loadAverageEnd} at the end`,
  );
  return lines.join("\n");
}

/** Per client count: raw and the peers, then each protocol's ceiling, unreplicated and replicated rows. */
function rowsTable(report: BenchReport): string[] {
  const shared = report.rows.filter((row) => row.protocol === undefined);
  const counts = [
    ...new Set([...shared, ...report.protocols.flatMap((figures) => figures.rows)].map((row) => row.clients)),
  ];
  const order: BenchSystem[] = ["ceiling", "unreplicated", "pbkv"];
  const rows = counts.flatMap((clients) => [
    ...shared.filter((row) => row.clients === clients),
    ...report.protocols.flatMap((figures) =>
      order.flatMap((system) =>
        figures.rows.filter((row) => row.clients === clients && row.system === system),
      ),
    ),
  ]);
  return table(
    ["system", "protocol", "clients", "ops/s", "p50 ms", "p99 ms", "view changes"],
    rows.map((row) => [
      row.system,
      row.protocol ?? "-",
      String(row.clients),
      String(row.opsPerSec),
      row.p50Ms.toFixed(2),
      row.p99Ms.toFixed(2),
      row.system === "ceiling" || row.system === "raw" ? "-" : String(row.viewChanges),
    ]),
    [false, false, true, true, true, true, true],
  );
}

function formatRatios(figures: ProtocolFigures): string[] {
  const name = figures.protocol;
  const line = (what: string, ratios: ByClients): string[] =>
    Object.keys(ratios).length === 0 ? [] : [`${`${name} / ${what}`.padEnd(29)} ${byClients(ratios)}`];
  const { ratios } = figures;
  return [
    ...line("raw (ops/s)", ratios.overRaw),
    ...line("ceiling (ops/s)", ratios.overCeiling),
    ...line("unreplicated (ops/s)", ratios.overUnreplicated),
    ...line("ceiling (p50)", ratios.p50OverCeiling),
    ...line("raw (p50)", ratios.p50OverRaw),
    ...Object.entries(ratios.overProtocols).flatMap(([other, byOther]) => line(`${other} (ops/s)`, byOther)),
  ];
}

function formatFailover(protocol: string, failover: FailoverReport): string[] {
  const crashed = failover.position ?? "primary";
  const medianText = (ms: number | undefined): string => (ms === undefined ? "-" : `${ms} ms`);
  const kinds =
    failover.readOutageMedianMs === undefined && failover.updateOutageMedianMs === undefined
      ? []
      : [
          `  longest wait of a read, of an update:                       median ${medianText(failover.readOutageMedianMs)}, ${medianText(failover.updateOutageMedianMs)}  [${failover.rounds.map((round) => `${round.readOutageMs ?? "-"}/${round.updateOutageMs ?? "-"}`).join(", ")}]`,
        ];
  return [
    `failover (${protocol}): ${failover.rounds.length} crash(es) of the ${crashed} through the control queue, ${failover.clients} clients running`,
    `  outage (crash to the first operation the new view answered): median ${failover.restoredMedianMs} ms, max ${failover.restoredMaxMs} ms  [${failover.rounds.map((round) => round.restoredMs).join(", ")}]`,
    `  longest wait of an operation outstanding at the crash:        median ${failover.medianMs} ms, max ${failover.maxMs} ms  [${failover.outagesMs.join(", ")}]`,
    ...kinds,
    `  new view serving (pb: once its backup has the state):          median ${failover.viewAckedMedianMs} ms, max ${failover.viewAckedMaxMs} ms  [${failover.rounds.map((round) => round.viewAckedMs).join(", ")}]`,
    `  next view announced: [${failover.rounds.map((round) => round.newViewMs).join(", ")}] ms`,
  ];
}

/** The rounds' figures, one row each: what changed, the pause and the epoch's times, the throughput dip. */
export function formatReconfiguration(protocol: string, report: ReconfigurationReport): string[] {
  const change = (round: ReconfigurationReport["rounds"][number]): string =>
    [...round.added.map((node) => `+${node}`), ...round.removed.map((node) => `-${node}`)].join(" ");
  return [
    `reconfiguration (${protocol}): ${report.rounds.length} round(s) through the operator, ${report.clients} clients running; times from its request`,
    `  pause (longest wait of an operation answered from the request on): median ${report.pauseMedianMs} ms, max ${report.pauseMaxMs} ms`,
    `  the new epoch running (its CheckEpoch answered):                    median ${report.epochRunningMedianMs} ms, max ${report.epochRunningMaxMs} ms`,
    "  (at request: the longest wait of one outstanding then; silence: the longest stretch without an answer)",
    ...table(
      [
        "round",
        "change",
        "epoch",
        "members",
        "pause ms",
        "at request",
        "silence",
        "announced",
        "running",
        "ops/s before / during / after",
      ],
      report.rounds.map((round, index) => [
        String(index + 1),
        `${round.kind} ${change(round)}`,
        `${round.epochBefore} -> ${round.epochAfter}`,
        `${round.membersBefore.length} -> ${round.membersAfter.length}`,
        String(round.pauseMs),
        String(round.requestWaitMs),
        String(round.silenceMs),
        String(round.epochAnnouncedMs),
        String(round.epochRunningMs),
        `${round.opsPerSecBefore} / ${round.opsPerSecDuring} / ${round.opsPerSecAfter}`,
      ]),
      [true, false, false, false, true, true, true, true, true, false],
    ).map((line) => `  ${line}`),
  ];
}

function formatGoals(goals: readonly BenchGoal[]): string[] {
  return [
    "goals:",
    ...goals.map((goal) => {
      const target = `goal ${goal.comparison === "atLeast" ? "≥" : "≤"} ${goal.target}`;
      if (goal.value === null)
        return `  issue ${goal.issue}, ${goal.figure}: not measured (${goal.notMeasured ?? "?"}; ${target})`;
      return `  issue ${goal.issue}, ${goal.figure}: ${goal.value} (${target}): ${goal.met === true ? "met" : "NOT MET"}`;
    }),
  ];
}

function settingsText(settings: Record<string, number>): string {
  return Object.entries(settings)
    .map(([field, value]) => `${field} ${value}`)
    .join(", ");
}

function formatMemory(memory: MemoryReport, protocol: string): string[] {
  const what = memory.millionOpRun
    ? `over ${memory.ops.toLocaleString("en-US")} operations (${memory.samples.length} samples)`
    : `at the start and end of this run (${memory.ops.toLocaleString("en-US")} operations; no million-operation run with --quick or --memory-ops 0)`;
  const lines = [`memory (RSS, MB) of the ${protocol} servers ${what}:`];
  for (const server of memory.servers) {
    const trend = memory.millionOpRun
      ? `, trend ${signed(server.trendMbPerMillionOps)} MB per million ops`
      : "";
    lines.push(
      `  ${server.node.padEnd(9)} pid ${String(server.pid).padEnd(7)} launch ${server.launchMb}, start ${server.startMb}, end ${server.endMb} (${signed(roundTo(server.endMb - server.startMb, 1))}), min ${server.minMb}, max ${server.maxMb}${trend}`,
    );
  }
  const total = memory.total;
  const totalTrend = memory.millionOpRun
    ? `, trend ${signed(total.trendMbPerMillionOps)} MB per million ops`
    : "";
  lines.push(
    `  all       start ${total.startMb}, end ${total.endMb} (${signed(roundTo(total.endMb - total.startMb, 1))})${totalTrend}`,
  );
  if (memory.viewChanges > 0) {
    const why = memory.millionOpRun
      ? "no crash was asked for: servers starved of CPU for a ping check or two were declared dead"
      : "the failover rounds' included";
    lines.push(`  (${memory.viewChanges} new view(s) meanwhile; ${why})`);
  }
  return lines;
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : ""}${value}`;
}

function table(header: string[], rows: string[][], alignRight: boolean[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return alignRight[column] === true ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function byClients(ratios: ByClients): string {
  return Object.entries(ratios)
    .map(([clients, ratio]) => `${clients.padStart(2)} clients: ${ratio.toFixed(2)}`)
    .join("   ");
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

function seconds(ms: number): string {
  return `${roundTo(ms / 1000, 2)} s`;
}
