import { z } from "zod";
import { LogEntrySchema } from "../../kv/logEntry.js";
import { clientMessages } from "../clientMessages.js";
import { Address } from "../../schemas/address.js";
import { forwardBatchMax } from "../../schemas/limits.js";
import { TransferChunk } from "../../schemas/snapshot.js";
import { View } from "../../schemas/view.js";

// Chain replication's bodies (docs/CHAIN.md). Every body travels inside an
// Envelope that carries the sender's view number, so bodies hold only what
// the envelope does not.

/** Drawn when a server process starts: a restarted server has a new one, so the master can tell. */
export const Incarnation = z.int().min(0).max(0xffffffff);

/**
 * Server → master, every pingMs. `viewNum`: the view the server has taken up
 * (0: none since it started). `handedOver`: the tail says its joining server
 * holds every update it answered, so the master may link it in as the tail.
 */
export const Ping = z.object({
  type: z.literal("Ping"),
  viewNum: z.int().min(0),
  incarnation: Incarnation,
  handedOver: z.boolean(),
});
/** Anyone → master: the current chain, without counting as a ping. */
export const GetView = z.object({ type: z.literal("GetView") });
/**
 * Master → anyone. `incarnations` names the process that holds each place
 * (chain members and the joining server): a process restarted under the same
 * name is someone else and takes no place. `pingIncarnation`: the ping this
 * answers; a fresh process takes its first view only from an answer to its own.
 */
export const ViewReply = z.object({
  type: z.literal("ViewReply"),
  view: View,
  incarnations: z.array(z.tuple([Address, Incarnation])).max(64),
  pingIncarnation: Incarnation.optional(),
});

/**
 * Client messages (src/protocols/clientMessages.ts). Refusals before anything
 * is logged: NotHead, an update (or register) sent to a server that is not
 * the head; NotTail, a read sent to one that is not the tail (both: the client
 * asks the master again); WrongView, the client knows a newer chain;
 * NotReady, no state yet; Busy, too much queued. Updates (and the register)
 * go to the head, reads to the tail; the tail answers (the head repeats its
 * answer to a retry of an update the tail applied).
 */
export const { NotServed, RegisterClient, RegisterReply, Request, ReplyError, Reply } = clientMessages([
  "NotHead",
  "NotTail",
  "WrongView",
  "NotReady",
  "Busy",
]);
export type NotServed = z.infer<typeof NotServed>;
export type ReplyError = z.infer<typeof ReplyError>;

export const ChainEntry = LogEntrySchema;
export type ChainEntry = z.infer<typeof ChainEntry>;
/**
 * Server → its successor in the same view (or the tail → the joining
 * server): log positions firstIndex, firstIndex+1, … in the head's order.
 * At most forwardBatchMax entries and batchBytesMax encoded bytes.
 */
export const Forward = z.object({
  type: z.literal("Forward"),
  firstIndex: z.int().min(1),
  entries: z.array(ChainEntry).min(1).max(forwardBatchMax),
});
/**
 * Server → its predecessor (a joining server → the tail): every position up
 * to `applied` is held here (cumulative; the predecessor resends after it);
 * every position up to `stable` is held at the tail, and at a joining server
 * (the predecessor trims its Sent list).
 */
export const ChainAck = z.object({
  type: z.literal("ChainAck"),
  applied: z.int().min(0),
  stable: z.int().min(0),
  incarnation: Incarnation,
});
/** Tail → joining server: chunk `chunk` of the snapshot at log position `applied`. */
export const StateTransfer = z.object({ type: z.literal("StateTransfer"), ...TransferChunk.shape });
/** Joining server → tail: chunks 0 … received-1 held (cumulative); `installed` once the last is in. */
export const StateTransferAck = z.object({
  type: z.literal("StateTransferAck"),
  applied: z.int().min(0),
  received: z.int().min(0),
  installed: z.boolean(),
  incarnation: Incarnation,
});
/** Tail → its predecessor: "am I still your successor in this view?" before it answers reads. */
export const ReadCheck = z.object({ type: z.literal("ReadCheck"), id: z.int().min(0) });
/** Predecessor → tail: yes, in the view of the envelope. */
export const ReadCheckOk = z.object({ type: z.literal("ReadCheckOk"), id: z.int().min(0) });

export const ChainMessage = z.discriminatedUnion("type", [
  Ping,
  GetView,
  ViewReply,
  RegisterClient,
  RegisterReply,
  Request,
  Reply,
  Forward,
  ChainAck,
  StateTransfer,
  StateTransferAck,
  ReadCheck,
  ReadCheckOk,
]);
export type ChainMessage = z.infer<typeof ChainMessage>;
export type MessageType = ChainMessage["type"];
export type BodyOf<T extends MessageType> = Extract<ChainMessage, { type: T }>;
