import { encodedBytes, valueBytesMax } from "../schemas/limits.js";
import type { Op } from "../schemas/op.js";

/**
 * The application: a map of string keys to string values. A Map, not a plain
 * object, so that no key (`__proto__`, `constructor`) can reach a prototype.
 */
export type KvStore = Map<string, string>;

/**
 * What an operation returns: the value for get, "" for put, the value's new
 * length in UTF-8 bytes (decimal) for append, so that a Redis APPEND can
 * answer it atomically; or why it was refused.
 */
export type OpResult = { ok: true; value: string } | { ok: false; error: "ValueTooLarge" };

/**
 * Apply one operation. An append that would make the key's value larger than
 * valueBytesMax is refused and changes nothing: no value ever outgrows what
 * a Reply or a transfer chunk can carry. Deterministic, so every replica
 * refuses the same appends.
 */
export function executeOp(store: KvStore, op: Op): OpResult {
  switch (op.f) {
    case "get":
      return { ok: true, value: store.get(op.key) ?? "" };
    case "put":
      store.set(op.key, op.value);
      return { ok: true, value: "" };
    case "append": {
      const before = store.get(op.key) ?? "";
      // The encoded size of a concatenation is at most the sum of the parts'.
      if (before.length + op.value.length > valueBytesMax / 6) {
        if (encodedBytes(before) + encodedBytes(op.value) > valueBytesMax)
          return { ok: false, error: "ValueTooLarge" };
      }
      const after = before + op.value;
      store.set(op.key, after);
      return { ok: true, value: String(Buffer.byteLength(after, "utf8")) };
    }
  }
}

/** The store's size as it travels: encoded bytes of every key and value (`npm run kv -- status`). */
export function storeEncodedBytes(store: KvStore): number {
  let bytes = 0;
  for (const [key, value] of store) bytes += encodedBytes(key) + encodedBytes(value);
  return bytes;
}
