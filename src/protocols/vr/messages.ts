import { z } from "zod";
import { clientMessages } from "../clientMessages.js";
import { LogEntrySchema } from "../../kv/logEntry.js";
import { chunkEntriesMax, forwardBatchMax, replicaSlotsMax } from "../../schemas/limits.js";
import { TransferChunk } from "../../schemas/snapshot.js";
import { Address } from "../../schemas/address.js";

// Viewstamped Replication's messages (Liskov & Cowling, "Viewstamped
// Replication Revisited", 2012; docs/VR.md). Every body travels in an
// envelope stamped with the sender's view-number, so bodies hold only what
// the envelope does not. Log positions are op-numbers, from 1. Every message
// between replicas carries the sender's epoch (its configuration's number,
// §7): views are compared only within one epoch.

const OpNumber = z.int().min(0);
const Epoch = z.int().min(0);
/** A replica by index (server-(i+1)). */
export const ReplicaIndex = z
  .int()
  .min(0)
  .max(replicaSlotsMax - 1);
/** An epoch's replicas, by index, ascending, none twice. */
export const Members = z
  .array(ReplicaIndex)
  .min(1)
  .max(replicaSlotsMax)
  .refine((members) => members.every((member, i) => i === 0 || member > members[i - 1]!), {
    message: "members are distinct and ascending",
  });

/**
 * A new configuration in the log (no up-call to the application): epoch
 * `epoch`, replicas `members`, its views numbered from `startView` (the view
 * that prepared it plus one, so no view of the old epoch that answers
 * clients shares a number with one of the new).
 */
export const ReconfigEntry = z.object({
  type: z.literal("reconfig"),
  epoch: z.int().min(1),
  members: Members,
  startView: OpNumber,
  atMs: z.number().finite(),
});
export type ReconfigEntry = z.infer<typeof ReconfigEntry>;
/**
 * An operator's CheckEpoch, logged in the epoch it asks about so that its
 * answer (EpochRunning, on execution) proves a quorum of that epoch's members
 * runs normal processing. No up-call to the application.
 */
export const CheckEntry = z.object({
  type: z.literal("check"),
  client: Address,
  seq: z.int().min(1),
  atMs: z.number().finite(),
});
export type CheckEntry = z.infer<typeof CheckEntry>;
/** A VR log position: the application's entry (src/kv/logEntry.ts), a reconfiguration or a check. */
export const VrEntry = z.union([LogEntrySchema, ReconfigEntry, CheckEntry]);
export type VrEntry = z.infer<typeof VrEntry>;

/** Log positions after+1, after+2, …: what DoViewChange, StartView and NewState carry. */
const LogSlice = {
  after: OpNumber,
  entries: z.array(VrEntry).max(chunkEntriesMax),
};

/**
 * How an epoch began: the op-number of the reconfiguration that made it (0
 * for epoch 0), its first view, and the replicas of the epoch before (which
 * give the state to the new ones and wait for their EpochStarted).
 */
export const EpochStart = z.object({
  op: OpNumber,
  view: OpNumber,
  oldMembers: z.array(ReplicaIndex).max(replicaSlotsMax),
});
export type EpochStart = z.infer<typeof EpochStart>;

// ---------------------------------------------------------------- clients

/**
 * Client messages (src/protocols/clientMessages.ts). The one refusal: `Busy`,
 * the primary's queue is full, or its epoch is ending (a reconfiguration is
 * logged). A replica that is not the primary answers a ViewReport instead:
 * the client learns the view, epoch and members from it.
 */
export const { RegisterClient, RegisterReply, Request, ReplyError, Reply } = clientMessages(["Busy"]);
/** Anyone → a replica: its view and status (`npm run kv -- view`). */
export const GetView = z.object({ type: z.literal("GetView") });
/** A replica's view (in the envelope), epoch, members and status: the answer to GetView. */
export const ViewReport = z.object({
  type: z.literal("ViewReport"),
  viewNum: OpNumber,
  epoch: Epoch,
  members: Members,
  status: z.enum(["normal", "view-change", "recovering", "transitioning", "removed", "retired", "spare"]),
  opNumber: OpNumber,
  commitNumber: OpNumber,
});

/**
 * What a replica that is not the primary answers a client's or the
 * operator's request with: the view is in the envelope, `normal` says
 * whether the replica runs it; a client goes to that view's primary among
 * `members`. Only what a client needs, so retries repeat the same message.
 */
export const NotPrimary = z.object({
  type: z.literal("NotPrimary"),
  epoch: Epoch,
  members: Members,
  normal: z.boolean(),
});

// ---------------------------------------------------------------- the operator

/**
 * Operator → the primary: make epoch `epoch + 1` with `members`. Idempotent:
 * asked again, the answer says it is logged, or done.
 */
export const Reconfigure = z.object({
  type: z.literal("Reconfigure"),
  seq: z.int().min(1),
  epoch: Epoch,
  members: Members,
});
export const ReconfigureRefusal = z.enum(["StaleEpoch", "Reconfiguring", "Invalid"]);
/**
 * ok: the reconfiguration is logged (or done: `epoch` is then the new one).
 * A refusal changed nothing; `reason` says why in words.
 */
export const ReconfigureReply = z.object({
  type: z.literal("ReconfigureReply"),
  seq: z.int().min(1),
  result: z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), epoch: Epoch, members: Members }),
    z.object({ ok: z.literal(false), error: ReconfigureRefusal, reason: z.string().max(512) }),
  ]),
});
/** Operator → members of `epoch`: answered (EpochRunning) only by its primary once a quorum of them runs it. */
export const CheckEpoch = z.object({ type: z.literal("CheckEpoch"), seq: z.int().min(1), epoch: Epoch });
export const EpochRunning = z.object({
  type: z.literal("EpochRunning"),
  seq: z.int().min(1),
  epoch: Epoch,
  members: Members,
});

// ---------------------------------------------------------------- normal operation

/** Primary → backups: entries firstOp, firstOp+1, …, with the primary's commit-number piggybacked. */
export const Prepare = z.object({
  type: z.literal("Prepare"),
  epoch: Epoch,
  firstOp: z.int().min(1),
  entries: z.array(VrEntry).min(1).max(forwardBatchMax),
  commitNumber: OpNumber,
});
/** Backup → primary: it holds every entry up to `opNumber` of this view (cumulative). */
export const PrepareOK = z.object({ type: z.literal("PrepareOK"), epoch: Epoch, opNumber: OpNumber });
/** Primary → backups when idle: entries up to `commitNumber` are committed (and the primary is alive). */
export const Commit = z.object({ type: z.literal("Commit"), epoch: Epoch, commitNumber: OpNumber });

// ---------------------------------------------------------------- view change

export const StartViewChange = z.object({ type: z.literal("StartViewChange"), epoch: Epoch });
/**
 * Replica → the new view's primary. `lastNormal` is the latest view in which
 * the sender's status was normal; the slice is its log after its
 * commit-number (the entries that may not be committed), the rest is
 * committed and the same at every replica that holds it.
 */
export const DoViewChange = z.object({
  type: z.literal("DoViewChange"),
  epoch: Epoch,
  lastNormal: OpNumber,
  opNumber: OpNumber,
  commitNumber: OpNumber,
  ...LogSlice,
});
/** New primary → replicas: the view's log after `after` (every entry after its commit-number included). */
export const StartView = z.object({
  type: z.literal("StartView"),
  epoch: Epoch,
  opNumber: OpNumber,
  commitNumber: OpNumber,
  ...LogSlice,
});
/** Replica that saw a later view than its own → that view's primary: send me StartView (TigerBeetle's request_start_view). */
export const GetStartView = z.object({
  type: z.literal("GetStartView"),
  epoch: Epoch,
  commitNumber: OpNumber,
});

// ---------------------------------------------------------------- state transfer

/**
 * Replica → replica: the log after `after`, or (when the source dropped it)
 * chunk `chunk` of the source's checkpoint taken at op-number `snapshotAt`.
 */
export const GetState = z.object({
  type: z.literal("GetState"),
  epoch: Epoch,
  after: OpNumber,
  snapshot: z.object({ at: OpNumber, chunk: z.int().min(0) }).nullable(),
});
/** The log after `after` as the source holds it: up to its op-number if it is its view's primary, else up to its commit-number. */
export const NewState = z.object({
  type: z.literal("NewState"),
  epoch: Epoch,
  /** The last op-number the source gives: its op-number when `complete`, else its commit-number. */
  upTo: OpNumber,
  commitNumber: OpNumber,
  /** The source is the normal primary of the envelope's view, and `upTo` is its whole log. */
  complete: z.boolean(),
  ...LogSlice,
});
/** A chunk of the source's checkpoint (the application at op-number `applied`). */
export const NewSnapshot = z.object({
  type: z.literal("NewSnapshot"),
  epoch: Epoch,
  ...TransferChunk.shape,
});

// ---------------------------------------------------------------- recovery

export const Nonce = z.int().min(0).max(0xffffffff);
/** A restarted replica (no disk: it lost everything) → every replica. */
export const Recovery = z.object({ type: z.literal("Recovery"), epoch: Epoch, nonce: Nonce });
/**
 * The answer, with the view in the envelope; `recovering`: the answerer lost
 * its state too. It names the answerer's epoch (members and start), and a
 * reconfiguration its log holds that it has not executed (`pending`): the
 * asker may be a member of that next epoch, so it must not settle as a spare.
 */
export const RecoveryResponse = z.object({
  type: z.literal("RecoveryResponse"),
  epoch: Epoch,
  nonce: Nonce,
  recovering: z.boolean(),
  members: Members,
  epochStart: EpochStart,
  pending: z.boolean(),
});

// ---------------------------------------------------------------- epochs (§7)

/**
 * A replica of a later epoch → one of an earlier epoch, or a new member: the
 * epoch, its members and how it began. A member fetches the state up to
 * `epochStart.op` and runs the epoch; a replica not among the members stops
 * taking part (a removed one first serves the new members).
 */
export const StartEpoch = z.object({
  type: z.literal("StartEpoch"),
  epoch: z.int().min(1),
  members: Members,
  epochStart: EpochStart,
});
/** A replica that heard of a later epoch than its own → the replica that said it: send me StartEpoch. */
export const GetEpoch = z.object({ type: z.literal("GetEpoch"), epoch: Epoch });
/** A member of `epoch` that holds its starting state → the replicas it removed: stop once f'+1 say so. */
export const EpochStarted = z.object({ type: z.literal("EpochStarted"), epoch: z.int().min(1) });
/**
 * The primary of `epoch` → a new member of the reconfiguration it logged at
 * `op`: are you up? The reconfiguration commits only once a quorum of the
 * next group is up (decisions.ts); a new member says so by EpochProbeOK.
 */
export const EpochProbe = z.object({ type: z.literal("EpochProbe"), epoch: Epoch, op: z.int().min(1) });
export const EpochProbeOK = z.object({ type: z.literal("EpochProbeOK"), epoch: Epoch, op: z.int().min(1) });

export const VrMessage = z.discriminatedUnion("type", [
  RegisterClient,
  Request,
  Reply,
  RegisterReply,
  GetView,
  ViewReport,
  NotPrimary,
  Prepare,
  PrepareOK,
  Commit,
  StartViewChange,
  DoViewChange,
  StartView,
  GetStartView,
  GetState,
  NewState,
  NewSnapshot,
  Recovery,
  RecoveryResponse,
  StartEpoch,
  GetEpoch,
  EpochStarted,
  EpochProbe,
  EpochProbeOK,
  Reconfigure,
  ReconfigureReply,
  CheckEpoch,
  EpochRunning,
]);
export type VrMessage = z.infer<typeof VrMessage>;
export type VrMessageType = VrMessage["type"];
export type BodyOf<T extends VrMessageType> = Extract<VrMessage, { type: T }>;
/** The messages replicas send each other: each carries the sender's epoch. */
export const replicaMessageTypes = [
  "Prepare",
  "PrepareOK",
  "Commit",
  "StartViewChange",
  "DoViewChange",
  "StartView",
  "GetStartView",
  "GetState",
  "NewState",
  "NewSnapshot",
  "Recovery",
  "RecoveryResponse",
  "StartEpoch",
  "GetEpoch",
  "EpochStarted",
  "EpochProbe",
  "EpochProbeOK",
] as const satisfies readonly VrMessageType[];
export type ReplicaMessage = BodyOf<(typeof replicaMessageTypes)[number]>;
/** A replica message as handlers write it: the epoch is stamped on sending (sendToReplica). */
export type ReplicaBody = ReplicaMessage extends infer M
  ? M extends unknown
    ? Omit<M, "epoch">
    : never
  : never;

/** Replica: every tickMs. Client: request `seq` waited too long. Operator: every clientRetryMs. */
export const VrTimer = z.discriminatedUnion("type", [
  z.object({ type: z.literal("Tick") }),
  z.object({ type: z.literal("OperatorTick") }),
  z.object({ type: z.literal("ClientRetryTimer"), seq: z.int().min(1) }),
]);
export type VrTimer = z.infer<typeof VrTimer>;
