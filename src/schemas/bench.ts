// What `npm run bench -- --json` prints: one object, the same figures as its
// table. Tests and scripts read it through this schema.
import { z } from "zod";
import { Address } from "./address.js";

const Positive = z.number().positive();
const NonNegative = z.number().min(0);

/**
 * The systems of the side-by-side table. raw: the four hops over plain amqplib,
 * no pbkv runtime; etcd, redis: what users would pick instead (where installed).
 */
export const BenchSystem = z.enum(["raw", "ceiling", "unreplicated", "etcd", "redis", "pbkv"]);
export type BenchSystem = z.infer<typeof BenchSystem>;

/** One measured window: closed-loop clients on one system. */
export const BenchRow = z.object({
  system: BenchSystem,
  clients: z.int().positive(),
  opsPerSec: NonNegative,
  p50Ms: NonNegative,
  p99Ms: NonNegative,
  /** Operations completed in the window. */
  ops: z.int().min(0),
  windowMs: Positive,
  /**
   * Views the view server made during the warm-up and window: a server
   * starved of CPU for a check interval or two is declared dead, and the
   * failover shows in the figures. Always 0 for the ceiling.
   */
  viewChanges: z.int().min(0),
});
export type BenchRow = z.infer<typeof BenchRow>;

/** A figure per client count, keyed by the count as text: `{"1": 0.91, "16": …}`. */
export const ByClients = z.record(z.string().regex(/^[0-9]+$/), NonNegative);
export type ByClients = z.infer<typeof ByClients>;

/** pbkv's forwarding bounds (ProtocolConfig `forwardBatchMax`, `forwardWindow`). */
export const ForwardSettings = z.object({
  forwardBatchMax: z.int().positive(),
  forwardWindow: z.int().positive(),
});
export type ForwardSettings = z.infer<typeof ForwardSettings>;

/** pbkv with one forwarding setting, measured in the same rounds as the ceiling. */
export const BatchingVariant = z.object({
  ...ForwardSettings.shape,
  rows: z.array(BenchRow),
  pbkvOverCeiling: ByClients,
});
export type BatchingVariant = z.infer<typeof BatchingVariant>;

export const FailoverRound = z.object({
  crashed: Address,
  promoted: Address,
  /**
   * What clients saw: the longest wait of an operation answered after the
   * crash command, which is that of an operation outstanding when the
   * primary crashed (the others take milliseconds).
   */
  outageMs: NonNegative,
  /** Until the view server announced the next view. */
  newViewMs: NonNegative,
  /** Until the new primary's backup confirmed the state transfer, when the primary acknowledges the view. */
  viewAckedMs: NonNegative,
});
export type FailoverRound = z.infer<typeof FailoverRound>;

export const FailoverReport = z.object({
  clients: z.int().positive(),
  outagesMs: z.array(NonNegative),
  medianMs: NonNegative,
  maxMs: NonNegative,
  viewAckedMedianMs: NonNegative,
  viewAckedMaxMs: NonNegative,
  rounds: z.array(FailoverRound),
});
export type FailoverReport = z.infer<typeof FailoverReport>;

export const ServerMemory = z.object({
  node: Address,
  pid: z.int().positive(),
  /** Resident set size right after the cluster was ready, MB. */
  launchMb: Positive,
  /** At the start and the end of the measured stretch, MB. */
  startMb: Positive,
  endMb: Positive,
  minMb: Positive,
  maxMb: Positive,
  /** Least-squares slope of RSS over the samples, MB per million operations (0 with fewer than 3 samples). */
  trendMbPerMillionOps: z.number(),
});
export type ServerMemory = z.infer<typeof ServerMemory>;

export const MemoryReport = z.object({
  /** Operations served between start and end. */
  ops: z.int().min(0),
  /** The million-operation run (false: start and end of what the quick bench ran). */
  millionOpRun: z.boolean(),
  servers: z.array(ServerMemory),
  /**
   * All servers together: roles move between servers at every failover
   * (and a primary holds more than an idle server), so the sum is the
   * steadier figure.
   */
  total: z.object({ startMb: Positive, endMb: Positive, trendMbPerMillionOps: z.number() }),
  /** RSS of each server (MB) as operations went by. */
  samples: z.array(z.object({ ops: z.int().min(0), rssMb: z.record(Address, Positive) })),
  /** Views the view server made during the stretch (failovers included). */
  viewChanges: z.int().min(0),
});
export type MemoryReport = z.infer<typeof MemoryReport>;

export const BenchReport = z.object({
  quick: z.boolean(),
  setup: z.object({
    /** The clusters this run made (and deleted): `<prefix>-<random>-<system>`. */
    clusters: z.array(z.string()),
    /** Where the load-generating client actors run. */
    clientsIn: z.string(),
    pbkvServers: z.int().positive(),
    ...ForwardSettings.shape,
    pingMs: Positive,
    pingCheckMs: Positive,
    clientRetryMs: Positive,
    keys: z.int().positive(),
    mix: z.object({ get: NonNegative, put: NonNegative, append: NonNegative }),
    warmupMs: NonNegative,
    windowMs: Positive,
    rounds: z.int().positive(),
  }),
  rows: z.array(BenchRow),
  ratios: z.object({
    /** Throughput over the raw relay's: what pbkv's runtime and protocol cost beyond the broker's four hops. */
    pbkvOverRaw: ByClients,
    pbkvOverCeiling: ByClients,
    /** Throughput over a 3-member etcd's and a Redis primary + replica's (empty where not measured). */
    pbkvOverEtcd: ByClients,
    pbkvOverRedis: ByClients,
    pbkvOverUnreplicated: ByClients,
    /** Latency: pbkv's p50 over the ceiling's. */
    p50PbkvOverCeiling: ByClients,
    /** Latency: pbkv's p50 over the raw relay's (issue 21's goal: at most 1.2 at one client). */
    p50PbkvOverRaw: ByClients,
  }),
  batching: z.array(BatchingVariant),
  failover: FailoverReport.nullable(),
  memory: MemoryReport.nullable(),
  /** The machine the figures come from: shared machines make noisy figures. */
  machine: z.object({
    cpus: z.int().positive(),
    /** One-minute load average when the bench started and when it ended. */
    loadAverageStart: NonNegative,
    loadAverageEnd: NonNegative,
  }),
  wallSeconds: Positive,
});
export type BenchReport = z.infer<typeof BenchReport>;
