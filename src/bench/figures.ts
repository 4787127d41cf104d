// One protocol's figures in the report (its rows and how they compare with
// the raw relay, its ceiling, its unreplicated cluster and the other
// protocols), and the report's setup.
import { configNumber } from "../protocols/configOptions.js";
import type {
  BenchReport,
  BenchRow,
  FailoverReport,
  ProtocolFigures,
  ReconfigurationReport,
} from "../schemas/bench.js";
import type { ProtocolRun } from "./cluster.js";
import { ratioByClients } from "./report.js";
import { forwardOf } from "./settings.js";
import { benchKeyCount, type BenchMix } from "./workload.js";

/** What one protocol's section is made of: rows by cluster, the raw relay's and the other protocols'. */
export interface FiguresInput {
  run: ProtocolRun;
  servers: number;
  ceiling: BenchRow[];
  unreplicated: BenchRow[];
  main: BenchRow[];
  raw: BenchRow[];
  /** The other protocols' replicated rows, by protocol name. */
  others: { protocol: string; rows: BenchRow[] }[];
  /** The primary's failover rounds, or one report per position (chain: head, middle, tail); empty: none ran. */
  failovers: FailoverReport[];
  /** Its reconfiguration rounds (VR); null or absent: none ran. */
  reconfiguration?: ReconfigurationReport | null;
}

const opsPerSec = (row: BenchRow): number => row.opsPerSec;
const p50 = (row: BenchRow): number => row.p50Ms;

export function protocolFigures(input: FiguresInput): ProtocolFigures {
  const { main } = input;
  return {
    protocol: input.run.protocol.name,
    servers: input.servers,
    settings: settingsOf(input.run),
    rows: [...input.ceiling, ...input.unreplicated, ...main].sort((a, b) => a.clients - b.clients),
    ratios: {
      overRaw: ratioByClients(main, input.raw, opsPerSec),
      overCeiling: ratioByClients(main, input.ceiling, opsPerSec),
      overUnreplicated: ratioByClients(main, input.unreplicated, opsPerSec),
      p50OverCeiling: ratioByClients(main, input.ceiling, p50),
      p50OverRaw: ratioByClients(main, input.raw, p50),
      overProtocols: Object.fromEntries(
        input.others.map((other) => [other.protocol, ratioByClients(main, other.rows, opsPerSec)]),
      ),
    },
    failover: input.failovers[0] ?? null,
    ...(input.run.protocol.bench.failover === undefined || input.failovers.length === 0
      ? {}
      : { failoverByPosition: input.failovers }),
    ...(input.reconfiguration == null ? {} : { reconfiguration: input.reconfiguration }),
  };
}

/** The configuration as its nodes' flags set it: clientRetryMs and every field of `config.options`. */
export function settingsOf(run: ProtocolRun): Record<string, number> {
  const settings: Record<string, number> = { clientRetryMs: run.config.clientRetryMs };
  for (const option of run.protocol.config.options)
    settings[option.field] = configNumber(run.config, option.field);
  return settings;
}

export interface SetupTiming {
  mix: BenchMix;
  warmupMs: number;
  windowMs: number;
  rounds: number;
}

/** The report's setup: the first protocol's servers and settings (the fields' first meaning), and what every row shares. */
export function setupOf(
  runs: readonly ProtocolRun[],
  servers: number,
  clusters: string[],
  timing: SetupTiming,
): BenchReport["setup"] {
  const first = runs[0];
  if (first === undefined) throw new Error("no protocol measured");
  const settings = settingsOf(first);
  return {
    clusters,
    clientsIn: "the bench process (one connection per cluster)",
    pbkvServers: servers,
    ...(forwardOf(first.config) ?? {}),
    // pb's timings, where the first protocol is pb (the format predates other protocols).
    ...(settings.pingMs === undefined ? {} : { pingMs: settings.pingMs }),
    ...(settings.pingCheckMs === undefined ? {} : { pingCheckMs: settings.pingCheckMs }),
    clientRetryMs: first.config.clientRetryMs,
    keys: benchKeyCount,
    mix: { ...timing.mix },
    warmupMs: timing.warmupMs,
    windowMs: timing.windowMs,
    rounds: timing.rounds,
    protocols: runs.map((run) => run.protocol.name),
  };
}
