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

/** A protocol's registry name (`--protocols pb,vr`). */
const ProtocolName = z.string().regex(/^[a-z][a-z0-9-]*$/);

/** One measured window: closed-loop clients on one system. */
export const BenchRow = z.object({
  system: BenchSystem,
  /** The protocol a cluster of pbkv's runtime ran (ceiling, unreplicated, pbkv); absent for raw and the peers. */
  protocol: ProtocolName.optional(),
  clients: z.int().positive(),
  opsPerSec: NonNegative,
  p50Ms: NonNegative,
  p99Ms: NonNegative,
  /** Operations completed in the window. */
  ops: z.int().min(0),
  windowMs: Positive,
  /**
   * Views the configuring nodes (pb's view server, VR's replicas) made during
   * the warm-up and window: a server starved of CPU for a check interval or
   * two is declared dead, and the failover shows in the figures. Always 0
   * for the ceiling.
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

/** Where a failover round crashed a server, for a protocol with places (chain); absent: the primary. */
const FailoverPosition = z.string().regex(/^[a-z]+$/);

export const FailoverRound = z.object({
  position: FailoverPosition.optional(),
  crashed: Address,
  /** The new view's primary (chain: its head, the same one after a middle server or the tail crashed). */
  promoted: Address,
  /** Chain: the chain of the new view, head first. */
  chainAfter: z.array(Address).optional(),
  /**
   * What clients saw: the longest wait of an operation answered after the
   * crash command, which is that of an operation outstanding when the
   * primary crashed (the others take milliseconds).
   */
  outageMs: NonNegative,
  /**
   * Crash to service restored: the first operation the new view answered
   * (the answer that ends the longest silence after the crash; replies the
   * primary sent just before it died do not count). Issue 16's outage goal.
   */
  restoredMs: NonNegative,
  /** The longest wait of a read (get), and of an update, answered after the crash (chain: a lost head stops updates only). */
  readOutageMs: NonNegative.optional(),
  updateOutageMs: NonNegative.optional(),
  /** Until a configuring node (pb's view server; VR's new primary, once normal) announced the next view. */
  newViewMs: NonNegative,
  /** Until that view served (`bench.servingEvent`; pb: the new primary's backup confirmed the state transfer; VR: the view announced). */
  viewAckedMs: NonNegative,
});
export type FailoverRound = z.infer<typeof FailoverRound>;

export const FailoverReport = z.object({
  /** The position every round crashed (chain: head, middle or tail); absent: the primary. */
  position: FailoverPosition.optional(),
  clients: z.int().positive(),
  outagesMs: z.array(NonNegative),
  medianMs: NonNegative,
  maxMs: NonNegative,
  viewAckedMedianMs: NonNegative,
  viewAckedMaxMs: NonNegative,
  restoredMedianMs: NonNegative,
  restoredMaxMs: NonNegative,
  readOutageMedianMs: NonNegative.optional(),
  updateOutageMedianMs: NonNegative.optional(),
  rounds: z.array(FailoverRound),
});
export type FailoverReport = z.infer<typeof FailoverReport>;

/** What a reconfiguration round asked for: one replica more (a spare slot started), or the primary out. */
export const ReconfigurationKind = z.enum(["grow", "shrink"]);
export type ReconfigurationKind = z.infer<typeof ReconfigurationKind>;

/**
 * One reconfiguration with closed-loop clients running. Times are from the
 * request: the moment the operator sent Reconfigure (not when it started:
 * it asks on its first tick).
 */
export const ReconfigurationRound = z.object({
  kind: ReconfigurationKind,
  epochBefore: z.int().min(0),
  epochAfter: z.int().positive(),
  membersBefore: z.array(Address),
  membersAfter: z.array(Address),
  added: z.array(Address),
  removed: z.array(Address),
  /**
   * The client-visible pause: the longest wait of an operation answered (or
   * timed out) from the request to the end of the round, a steady stretch
   * after the new epoch ran. Those sent once the primary had prepared the
   * reconfiguration wait longest: the old epoch takes no more requests, and
   * they are answered in the new one.
   */
  pauseMs: NonNegative,
  /**
   * The longest wait of an operation outstanding when the request was sent:
   * shorter, as the old epoch answers what reached its primary before the
   * Reconfigure did.
   */
  requestWaitMs: NonNegative,
  /** The longest stretch from the request to the end of the round in which no operation was answered. */
  silenceMs: NonNegative,
  /** Request to the first view event of the new epoch (a member announcing it). */
  epochAnnouncedMs: NonNegative,
  /** Request to the new epoch running: the operator's CheckEpoch answered. */
  epochRunningMs: NonNegative,
  /** Throughput in the stretch before the request, from the request until the epoch ran, and after. */
  opsPerSecBefore: NonNegative,
  opsPerSecDuring: NonNegative,
  opsPerSecAfter: NonNegative,
});
export type ReconfigurationRound = z.infer<typeof ReconfigurationRound>;

export const ReconfigurationReport = z.object({
  clients: z.int().positive(),
  pauseMedianMs: NonNegative,
  pauseMaxMs: NonNegative,
  epochRunningMedianMs: NonNegative,
  epochRunningMaxMs: NonNegative,
  rounds: z.array(ReconfigurationRound).min(1),
});
export type ReconfigurationReport = z.infer<typeof ReconfigurationReport>;

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

/** One protocol's figures: its rows (ceiling, unreplicated, pbkv) and how they compare. */
export const ProtocolFigures = z.object({
  protocol: ProtocolName,
  /** The servers of its measured cluster (pb: 3 with the view server besides; VR: its replicas). */
  servers: z.int().positive(),
  /** Its configuration as its nodes' flags set it (`config.options` fields and clientRetryMs). */
  settings: z.record(z.string(), z.number()),
  /** Its ceiling (relay actors, where it has them), unreplicated (one server) and pbkv rows. */
  rows: z.array(BenchRow),
  ratios: z.object({
    overRaw: ByClients,
    overCeiling: ByClients,
    overUnreplicated: ByClients,
    p50OverCeiling: ByClients,
    p50OverRaw: ByClients,
    /** Throughput over each other protocol measured, by its name: `{"pb": {"64": 0.83}}`. */
    overProtocols: z.record(ProtocolName, ByClients),
  }),
  /** The failover rounds: the primary's crashes, or for a protocol with places the first position's (chain: the head). */
  failover: FailoverReport.nullable(),
  /** A protocol with places (chain): the rounds at each position, in order (head, middle, tail); the first is `failover`. */
  failoverByPosition: z.array(FailoverReport).optional(),
  /** A protocol whose group changes at run time (VR): its reconfiguration rounds (`--reconfig-rounds`), when any ran. */
  reconfiguration: ReconfigurationReport.optional(),
});
export type ProtocolFigures = z.infer<typeof ProtocolFigures>;

/** A goal of an issue, judged from this run's figures (met: null when the run did not measure it). */
export const BenchGoal = z.object({
  /** The issue that set it (16: VR beside pb; 21: pb's runtime beside the raw relay and etcd). */
  issue: z.int().positive(),
  name: z.string().min(1),
  /** What is compared, in words, e.g. "vr / pb ops/s at 64 clients". */
  figure: z.string().min(1),
  comparison: z.enum(["atLeast", "atMost"]),
  target: z.number(),
  value: z.number().nullable(),
  met: z.boolean().nullable(),
  /** Why it was not measured (value null), e.g. "needs --clients with 64". */
  notMeasured: z.string().optional(),
});
export type BenchGoal = z.infer<typeof BenchGoal>;

/**
 * The report. `rows`, `ratios`, `batching`, `failover` and `setup`'s
 * pbkvServers and forwarding settings keep their first meaning: the first
 * protocol of `--protocols` (pb by default) beside raw and the peers.
 * `protocols` has every protocol measured (the first included) and `goals`
 * the goals judged from them.
 */
export const BenchReport = z.object({
  quick: z.boolean(),
  setup: z.object({
    /** The clusters this run made (and deleted): `<prefix>-<random>-<system>`. */
    clusters: z.array(z.string()),
    /** Where the load-generating client actors run. */
    clientsIn: z.string(),
    pbkvServers: z.int().positive(),
    /** The first protocol's forwarding settings and timers, where it has them (pb). */
    forwardBatchMax: z.int().positive().optional(),
    forwardWindow: z.int().positive().optional(),
    pingMs: Positive.optional(),
    pingCheckMs: Positive.optional(),
    clientRetryMs: Positive,
    keys: z.int().positive(),
    /** The shares of each operation; `get` is `--read-share`, the rest split evenly. */
    mix: z.object({ get: NonNegative, put: NonNegative, append: NonNegative }),
    warmupMs: NonNegative,
    windowMs: Positive,
    rounds: z.int().positive(),
    /** The protocols measured, in order (`--protocols`); the first is the one of the fields above. */
    protocols: z.array(ProtocolName).min(1),
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
    /** Latency: pbkv's p50 over the raw relay's (issue 21's goal: at most 1.2 at one client; see `goals`). */
    p50PbkvOverRaw: ByClients,
  }),
  batching: z.array(BatchingVariant),
  failover: FailoverReport.nullable(),
  memory: MemoryReport.nullable(),
  protocols: z.array(ProtocolFigures).min(1),
  goals: z.array(BenchGoal),
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
