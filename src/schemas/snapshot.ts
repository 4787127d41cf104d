import { z } from "zod";
import { Address } from "./address.js";
import { chunkEntriesMax } from "./limits.js";
import { Key, Value } from "./op.js";

/** A client's session in the at-most-once table (src/kv/atMostOnce.ts). */
export const Session = z.object({
  id: z.int().min(1),
  seq: z.int().min(0),
  refused: z.boolean(),
  /** The last write's answer: "" (put) or the appended value's length, a decimal. */
  answer: z.string().regex(/^[0-9]{0,16}$/),
  activeMs: z.number().finite(),
});

/**
 * One piece of the application state as a state transfer carries it: some
 * entries of the KV map and of the session table, as entry lists (JSON
 * has no Map, and a plain object would mistake a key like `__proto__` for its
 * prototype). The snapshot is the concatenation of its chunks, in order.
 */
export const TransferChunk = z.object({
  /** Number of log positions applied to produce the snapshot. */
  applied: z.int().min(0),
  /** The latest stamp applied at the snapshot: the backup's clock floor if it is promoted. */
  timeMs: z.number().finite(),
  /** Its place in the snapshot, from 0. */
  chunk: z.int().min(0),
  /** The snapshot has no chunk after this one. */
  last: z.boolean(),
  kv: z.array(z.tuple([Key, Value])).max(chunkEntriesMax),
  lastByClient: z.array(z.tuple([Address, Session])).max(chunkEntriesMax),
});
export type TransferChunk = z.infer<typeof TransferChunk>;
