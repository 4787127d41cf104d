// Observability events (DESIGN §5): JSON published by every actor host on the
// topic exchange `<c>.events`, routing key `<kind>.<node>` (e.g. `view.viewserver`,
// `role.server-2`, `counters.server-1`), and by `npm run load` (`load.load`).
// `npm run cluster` prints them; tests and dashboards subscribe with a
// pattern like `role.*` or `#`.
import { z } from "zod";
import type { ActorEvent } from "./actorEvents.js";
import { Address } from "./address.js";
import { ControlCommand } from "./control.js";
import { keyLengthMax } from "./limits.js";
import { View } from "./view.js";

/** Longest reason text carried by a `rejected` event (the full one is in the node's log). */
export const rejectReasonLengthMax = 2_000;

/** Longest reason a `view` event carries (the view server's are one line). */
export const viewReasonLengthMax = 500;
/** Longest checker report carried by a `load` event (the whole one is printed by `npm run load`). */
export const loadReportLengthMax = 4_000;
/** Longest history path carried by a `load` event. */
export const historyPathLengthMax = 1_024;
/** Longest load run id (`npm run load` makes 6 characters). */
export const loadRunIdLengthMax = 64;
/** The node name `npm run load` publishes its `load` events under (key `load.load`). */
export const loadEventNode = "load";

const Count = z.int().min(0);

/** Per-node message counters, cumulative since the process started. */
export const NodeCounters = z.object({
  /** Valid messages handed to the actor. */
  messagesIn: Count,
  /** Messages the actor sent (before the fault layer). */
  messagesOut: Count,
  /** Copies published to the broker (duplicates count twice). */
  published: Count,
  /** Sends lost by the fault layer's drop probability (into `<c>.lost`). */
  dropped: Count,
  /** Sends lost to a partition (into `<c>.lost`). */
  partitioned: Count,
  /** Extra copies sent by the fault layer. */
  duplicated: Count,
  /** Copies held back in a delay bucket. */
  delayed: Count,
  /** Invalid input (not JSON, schema-invalid, oversized, misaddressed) dead-lettered to `<c>.rejected`. */
  rejected: Count,
  /** Messages refused while crashed (into `<c>.lost`). */
  refused: Count,
  /** Sends lost because the broker connection was down or the outbox was full. */
  unsent: Count,
  /** Everything this node lost: dropped + partitioned + refused + unsent. */
  lost: Count,
  /** Client operations this node answered (servers only). */
  served: Count,
  timersFired: Count,
  /** Successful connections to the broker after the first. */
  reconnects: Count,
});
export type NodeCounters = z.infer<typeof NodeCounters>;

/** Most figures of its own a protocol reports per node, and the longest name and text of one. */
export const protocolFiguresMax = 16;
export const figureNameLengthMax = 32;
export const figureTextLengthMax = 64;

/** The fields every protocol's status has: a protocol's own figures must not reuse their names. */
const commonStatusFields = [
  "role",
  "viewNum",
  "applied",
  "keys",
  "storeBytes",
  "sessions",
  "transferChunksAcked",
];

/**
 * A protocol's own figures for one node, by name, in the order the protocol
 * lists them (VR: `status`, `opNumber`, `commitNumber`, `logStart`): a count
 * or a short word. Names are camelCase identifiers, none of NodeStatus's own.
 */
export const ProtocolFigures = z
  .record(
    z
      .string()
      .regex(/^[a-z][A-Za-z0-9]*$/)
      .max(figureNameLengthMax)
      .refine((name) => !commonStatusFields.includes(name), "a name NodeStatus already has"),
    z.union([Count, z.string().min(1).max(figureTextLengthMax)]),
  )
  .refine(
    (figures) => Object.keys(figures).length <= protocolFiguresMax,
    `at most ${protocolFiguresMax} figures`,
  );
export type ProtocolFigures = z.infer<typeof ProtocolFigures>;

/**
 * What `kv status` prints per server: its role and view, log positions
 * applied, keys, the store's size (encoded bytes of keys and values) and the
 * at-most-once table's entries (one per client address that wrote); and,
 * for a protocol with more to say, its own `figures` (DESIGN §9; pb has none).
 */
export const NodeStatus = z.object({
  role: z.enum(["primary", "backup", "idle"]),
  viewNum: z.int().min(0),
  applied: Count,
  keys: Count,
  storeBytes: Count,
  sessions: Count,
  /** A primary sending a state transfer: chunks the backup acknowledged so far. */
  transferChunksAcked: Count.nullable(),
  /** The protocol's own figures (VR: status, op-number, commit-number, log start); absent for pb. */
  figures: ProtocolFigures.optional(),
});
export type NodeStatus = z.infer<typeof NodeStatus>;

// Checked once at load: the names figures may not take are exactly the common fields.
if (Object.keys(NodeStatus.shape).join() !== [...commonStatusFields, "figures"].join())
  throw new Error("commonStatusFields must list NodeStatus's fields");

/**
 * A status as one flat JSON object (`kv status`'s line): the common fields,
 * then the protocol's figures beside them (their names never collide).
 */
export function flatStatus(status: NodeStatus): Record<string, unknown> {
  const { figures, ...common } = status;
  return { ...common, ...figures };
}

/** Every counter at 0: a node's counters when its process starts. */
export function zeroCounters(): NodeCounters {
  const counters = Object.fromEntries(Object.keys(NodeCounters.shape).map((name) => [name, 0]));
  return NodeCounters.parse(counters);
}

export const LifecycleState = z.enum([
  "started",
  "connected",
  "disconnected",
  "crashed",
  "restarted",
  "stopped",
]);
export type LifecycleState = z.infer<typeof LifecycleState>;

export const RejectSource = z.enum(["actor", "control"]);

const base = {
  v: z.literal(1),
  cluster: z.string().min(1),
  node: Address,
  /** Wall-clock milliseconds since the epoch, for display only. */
  at: z.number(),
};

/** `running` while the load runs; the checker's verdict once it is done. */
export const LoadResult = z.enum(["running", "linearizable", "not-linearizable", "unknown"]);
export type LoadResult = z.infer<typeof LoadResult>;

const loadFields = {
  ...base,
  type: z.literal("load"),
  /** Names the run's keys (`<run>-k<i>`) and ties its `running` event to its verdict. */
  run: z.string().min(1).max(loadRunIdLengthMax),
  clients: z.int().min(1),
  keys: z.int().min(1),
  /** The history file, absolute: the load and the reader may run in different directories. */
  history: z.string().min(1).max(historyPathLengthMax),
};

/** What a finished run measured; times in milliseconds. */
const loadFigures = {
  /** Measured length of the load (a `running` event carries the planned one). */
  durationMs: z.number().min(0),
  ok: Count,
  /** Ops without an answer within the op timeout (recorded as info: they may have happened). */
  info: Count,
  /** Ops refused before they left the client (recorded as fail: they did not happen). */
  fail: Count,
  opsPerSecond: z.number().min(0),
  /** Over ok ops; null when none succeeded. */
  latencyP50Ms: z.number().min(0).nullable(),
  latencyP99Ms: z.number().min(0).nullable(),
  /** The longest any op waited, answered or not. */
  maxWaitMs: z.number().min(0),
  /** The linearizability checker's time. */
  checkMs: z.number().min(0),
  /** The checker's report (`formatCheckResult`), cut short. */
  report: z.string().max(loadReportLengthMax),
};

/**
 * A load run of `npm run load`: once when it starts (`result: running`) and
 * once with the checker's verdict. Nested on `result` so that a verdict
 * always comes with its figures and a violation always names its key.
 */
export const LoadEvent = z.discriminatedUnion("result", [
  z.object({
    ...loadFields,
    result: z.literal("running"),
    durationMs: z.number().min(0),
    /**
     * The verdict is overdue this long after the start (the run, its last
     * operation's timeout and the checker's budget): a load that died sends none.
     */
    verdictDueMs: z.number().min(0).optional(),
  }),
  z.object({ ...loadFields, ...loadFigures, result: z.literal("linearizable") }),
  z.object({
    ...loadFields,
    ...loadFigures,
    result: z.literal("not-linearizable"),
    /** The key the checker found no linearization for. */
    key: z.string().max(keyLengthMax),
  }),
  /** The checker gave up (its budget or memory ran out): no verdict. */
  z.object({ ...loadFields, ...loadFigures, result: z.literal("unknown") }),
]);
export type LoadEvent = z.infer<typeof LoadEvent>;

/** Longest point or digest an agreement event carries. */
export const agreementTextMax = 128;

export const ClusterEvent = z.discriminatedUnion("type", [
  /**
   * The node learned (servers) or made (view server) a new view; the view
   * server says why. Key `view.<node>`.
   */
  z.object({
    ...base,
    type: z.literal("view"),
    view: View,
    reason: z.string().max(viewReasonLengthMax).optional(),
  }),
  /** A server became primary, backup or idle. Key `role.<node>`. */
  z.object({
    ...base,
    type: z.literal("role"),
    role: z.enum(["primary", "backup", "idle"]),
    viewNum: z.int().min(0),
  }),
  /** A primary's backup confirmed the state transfer. Key `transfer.<node>`. */
  z.object({ ...base, type: z.literal("transfer"), viewNum: z.int().min(0), to: Address, applied: Count }),
  /**
   * A server's state in figures, published in answer to the `status` control
   * command (`npm run kv -- status`). Key `status.<node>`.
   */
  z.object({ ...base, type: z.literal("status"), status: NodeStatus }),
  /** The node applied a control command. Key `fault.<node>`. */
  z.object({ ...base, type: z.literal("fault"), command: ControlCommand, effect: z.string() }),
  /** Periodic, and when the node stops. Key `counters.<node>`. */
  z.object({ ...base, type: z.literal("counters"), counters: NodeCounters }),
  /** One invalid message dead-lettered to `<c>.rejected`. Key `rejected.<node>`. */
  z.object({
    ...base,
    type: z.literal("rejected"),
    source: RejectSource,
    reason: z.string().max(rejectReasonLengthMax),
    bytes: Count,
  }),
  /** Process and actor life: started, (dis)connected, crashed, restarted, stopped. Key `lifecycle.<node>`. */
  z.object({ ...base, type: z.literal("lifecycle"), state: LifecycleState, detail: z.string().optional() }),
  /**
   * With --debug: the node's state reached a new point of the protocol's
   * agreement, and what it holds there (DESIGN §9). Key `agreement.<node>`.
   */
  z.object({
    ...base,
    type: z.literal("agreement"),
    name: z.string().max(64),
    point: z.string().max(agreementTextMax),
    digest: z.string().max(agreementTextMax),
  }),
  /** A load run started, or finished with its verdict. Key `load.load`. */
  LoadEvent,
]);
export type ClusterEvent = z.infer<typeof ClusterEvent>;
export type ClusterEventType = ClusterEvent["type"];

/** A ClusterEvent without the fields the publishing host fills in. */
export type ClusterEventBody = ClusterEvent extends infer E
  ? E extends ClusterEvent
    ? Omit<E, "v" | "cluster" | "node" | "at">
    : never
  : never;

/**
 * The cluster event an actor's own event becomes, or null for those only its
 * driver needs (`served` is counted, `result` goes to the waiting caller).
 * One mapping for every host, so the broker and the in-memory transport print
 * the same lines.
 */
export function clusterEventOfActorEvent(event: ActorEvent): ClusterEventBody | null {
  switch (event.type) {
    case "viewChanged":
      return {
        type: "view",
        view: event.view,
        ...(event.reason === undefined ? {} : { reason: event.reason }),
      };
    case "roleChanged":
      return { type: "role", role: event.role, viewNum: event.viewNum };
    case "stateTransferred":
      return { type: "transfer", viewNum: event.viewNum, to: event.to, applied: event.applied };
    case "served":
    case "result":
    case "retired":
      return null;
  }
}
