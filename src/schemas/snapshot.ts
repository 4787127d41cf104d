import { z } from "zod";
import { Address } from "./address.js";
import { snapshotEntriesMax } from "./limits.js";
import { Key } from "./op.js";

/**
 * The whole application state as it travels in a state transfer: the KV map
 * and the at-most-once table, as sorted entry lists (JSON has no Map, and a
 * plain object would mistake a key like `__proto__` for its prototype).
 */
export const AppSnapshot = z.object({
  /** Number of log positions applied to produce this state. */
  applied: z.int().min(0),
  kv: z.array(z.tuple([Key, z.string()])).max(snapshotEntriesMax),
  lastByClient: z
    .array(z.tuple([Address, z.object({ seq: z.int().min(1), value: z.string() })]))
    .max(snapshotEntriesMax),
});
export type AppSnapshot = z.infer<typeof AppSnapshot>;
