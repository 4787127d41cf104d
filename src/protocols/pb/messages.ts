import { z } from "zod";
import { LogEntrySchema } from "../../kv/logEntry.js";
import { clientMessages } from "../clientMessages.js";
import { forwardBatchMax } from "../../schemas/limits.js";
import { TransferChunk } from "../../schemas/snapshot.js";
import { View } from "../../schemas/view.js";

// Every body travels inside an Envelope that carries the sender's viewNum, so
// bodies hold only what the envelope does not.

/** Incarnations tell a restarted server (new incarnation) from one that is still learning its view. */
export const Incarnation = z.int().min(0).max(0xffffffff);

/**
 * Server → view server, every pingMs. `viewNum` is the view the server
 * acknowledges (0: it has not learned any view since it started); a primary
 * keeps acknowledging the previous view until its backup holds the state.
 */
export const Ping = z.object({ type: z.literal("Ping"), viewNum: z.int().min(0), incarnation: Incarnation });
/** Anyone → view server: the current view, without counting as a ping. */
export const GetView = z.object({ type: z.literal("GetView") });
/**
 * View server → anyone. `primaryIncarnation` names the process that holds the
 * primary role: a process restarted under the same name is not it and must
 * not act as primary (nor, in view 1, start from an empty store).
 */
export const ViewReply = z.object({
  type: z.literal("ViewReply"),
  view: View,
  primaryIncarnation: Incarnation.nullable(),
  /**
   * The incarnation of the ping this answers (absent for GetView). A server
   * that just started takes its first view only from an answer to its own
   * ping: replies meant for its previous life may still sit in its queue.
   */
  pingIncarnation: Incarnation.optional(),
});

/**
 * Client messages (src/protocols/clientMessages.ts): a session opened first
 * (Raft's RegisterClient), then requests to the primary. Refusals before
 * anything is logged (the operation did not run): NotPrimary, WrongView (the
 * client knows a newer view), NotReady (the primary has no state yet), Busy.
 */
export const { NotServed, RegisterClient, RegisterReply, Request, ReplyError, Reply } = clientMessages([
  "NotPrimary",
  "WrongView",
  "NotReady",
  "Busy",
]);
export type NotServed = z.infer<typeof NotServed>;
export type ReplyError = z.infer<typeof ReplyError>;

/** A log position as the primary forwards it (src/kv/logEntry.ts). */
export const ForwardEntry = LogEntrySchema;
export type ForwardEntry = z.infer<typeof ForwardEntry>;
/**
 * Primary → backup: log positions firstIndex, firstIndex+1, … in the primary's
 * order. A batch stops at forwardBatchMax entries or batchBytesMax encoded
 * bytes, whichever comes first (one entry always fits a message).
 */
export const Forward = z.object({
  type: z.literal("Forward"),
  firstIndex: z.int().min(1),
  entries: z.array(ForwardEntry).min(1).max(forwardBatchMax),
});
/**
 * Backup → primary: every position up to `index` is applied (cumulative).
 * `incarnation` is the backup's: a primary counts acks only from the process
 * that confirmed its state transfer, never from one restarted under its name.
 */
export const ForwardAck = z.object({
  type: z.literal("ForwardAck"),
  index: z.int().min(0),
  incarnation: Incarnation.optional(),
});
/** Backup → a server that forwarded from another view: it is not this backup's primary. */
export const ForwardReject = z.object({ type: z.literal("ForwardReject") });
/**
 * Primary → new backup: chunk number `chunk` of the snapshot the primary took
 * at log position `applied` when the view began (DESIGN §4.1). Chunks are
 * bounded in bytes and entries, never by the store's size.
 */
export const StateTransfer = z.object({ type: z.literal("StateTransfer"), ...TransferChunk.shape });
/**
 * Backup → primary: of the snapshot at `applied`, chunks 0 … received-1 are
 * held (cumulative); `installed` once the last one is in and the state is the
 * backup's. `incarnation` ties the transfer to one backup process.
 */
export const StateTransferAck = z.object({
  type: z.literal("StateTransferAck"),
  applied: z.int().min(0),
  received: z.int().min(0),
  installed: z.boolean(),
  incarnation: Incarnation,
});

export const MessageBody = z.discriminatedUnion("type", [
  Ping,
  GetView,
  ViewReply,
  RegisterClient,
  RegisterReply,
  Request,
  Reply,
  Forward,
  ForwardAck,
  ForwardReject,
  StateTransfer,
  StateTransferAck,
]);
export type MessageBody = z.infer<typeof MessageBody>;
export type MessageType = MessageBody["type"];
export type BodyOf<T extends MessageType> = Extract<MessageBody, { type: T }>;
