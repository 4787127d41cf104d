import { z } from "zod";
import { clientMessages } from "../clientMessages.js";
import { LogEntrySchema } from "../../kv/logEntry.js";
import { chunkEntriesMax, forwardBatchMax } from "../../schemas/limits.js";
import { TransferChunk } from "../../schemas/snapshot.js";

// Viewstamped Replication's messages (Liskov & Cowling, "Viewstamped
// Replication Revisited", 2012; docs/VR.md). Every body travels in an
// envelope stamped with the sender's view-number, so bodies hold only what
// the envelope does not. Log positions are op-numbers, from 1.

const OpNumber = z.int().min(0);

/** Log positions after+1, after+2, …: what DoViewChange, StartView and NewState carry. */
const LogSlice = {
  after: OpNumber,
  entries: z.array(LogEntrySchema).max(chunkEntriesMax),
};

// ---------------------------------------------------------------- clients

/**
 * Client messages (src/protocols/clientMessages.ts). Refusals: `NotPrimary`,
 * the sender is a replica of the view in the envelope and not its primary
 * (the client learns the view from it); `Busy`, the primary's queue is full.
 */
export const { RegisterClient, RegisterReply, Request, ReplyError, Reply } = clientMessages([
  "NotPrimary",
  "Busy",
]);
/** Anyone → a replica: its view and status (`npm run kv -- view`); not part of the protocol. */
export const GetView = z.object({ type: z.literal("GetView") });
export const ViewReport = z.object({
  type: z.literal("ViewReport"),
  viewNum: OpNumber,
  replicas: z.int().min(1).max(9),
  status: z.enum(["normal", "view-change", "recovering"]),
  opNumber: OpNumber,
  commitNumber: OpNumber,
});

// ---------------------------------------------------------------- normal operation

/** Primary → backups: entries firstOp, firstOp+1, …, with the primary's commit-number piggybacked. */
export const Prepare = z.object({
  type: z.literal("Prepare"),
  firstOp: z.int().min(1),
  entries: z.array(LogEntrySchema).min(1).max(forwardBatchMax),
  commitNumber: OpNumber,
});
/** Backup → primary: it holds every entry up to `opNumber` of this view (cumulative). */
export const PrepareOK = z.object({ type: z.literal("PrepareOK"), opNumber: OpNumber });
/** Primary → backups when idle: entries up to `commitNumber` are committed (and the primary is alive). */
export const Commit = z.object({ type: z.literal("Commit"), commitNumber: OpNumber });

// ---------------------------------------------------------------- view change

export const StartViewChange = z.object({ type: z.literal("StartViewChange") });
/**
 * Replica → the new view's primary. `lastNormal` is the latest view in which
 * the sender's status was normal; the slice is its log after its
 * commit-number (the entries that may not be committed), the rest is
 * committed and the same at every replica that holds it.
 */
export const DoViewChange = z.object({
  type: z.literal("DoViewChange"),
  lastNormal: OpNumber,
  opNumber: OpNumber,
  commitNumber: OpNumber,
  ...LogSlice,
});
/** New primary → replicas: the view's log after `after` (every entry after its commit-number included). */
export const StartView = z.object({
  type: z.literal("StartView"),
  opNumber: OpNumber,
  commitNumber: OpNumber,
  ...LogSlice,
});
/** Replica that saw a later view than its own → that view's primary: send me StartView (TigerBeetle's request_start_view). */
export const GetStartView = z.object({ type: z.literal("GetStartView"), commitNumber: OpNumber });

// ---------------------------------------------------------------- state transfer

/**
 * Replica → replica: the log after `after`, or (when the source dropped it)
 * chunk `chunk` of the source's checkpoint taken at op-number `snapshotAt`.
 */
export const GetState = z.object({
  type: z.literal("GetState"),
  after: OpNumber,
  snapshot: z.object({ at: OpNumber, chunk: z.int().min(0) }).nullable(),
});
/** The log after `after` as the source holds it: up to its op-number if it is its view's primary, else up to its commit-number. */
export const NewState = z.object({
  type: z.literal("NewState"),
  /** The last op-number the source gives: its op-number when `complete`, else its commit-number. */
  upTo: OpNumber,
  commitNumber: OpNumber,
  /** The source is the normal primary of the envelope's view, and `upTo` is its whole log. */
  complete: z.boolean(),
  ...LogSlice,
});
/** A chunk of the source's checkpoint (the application at op-number `applied`). */
export const NewSnapshot = z.object({ type: z.literal("NewSnapshot"), ...TransferChunk.shape });

// ---------------------------------------------------------------- recovery

export const Nonce = z.int().min(0).max(0xffffffff);
/** A restarted replica (no disk: it lost everything) → every replica. */
export const Recovery = z.object({ type: z.literal("Recovery"), nonce: Nonce });
/** The answer, with the view in the envelope; `recovering`: the answerer lost its state too. */
export const RecoveryResponse = z.object({
  type: z.literal("RecoveryResponse"),
  nonce: Nonce,
  recovering: z.boolean(),
});

export const VrMessage = z.discriminatedUnion("type", [
  RegisterClient,
  Request,
  Reply,
  RegisterReply,
  GetView,
  ViewReport,
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
]);
export type VrMessage = z.infer<typeof VrMessage>;
export type VrMessageType = VrMessage["type"];
export type BodyOf<T extends VrMessageType> = Extract<VrMessage, { type: T }>;

/** Replica: every tickMs. Client: request `seq` waited too long. */
export const VrTimer = z.discriminatedUnion("type", [
  z.object({ type: z.literal("Tick") }),
  z.object({ type: z.literal("ClientRetryTimer"), seq: z.int().min(1) }),
]);
export type VrTimer = z.infer<typeof VrTimer>;
