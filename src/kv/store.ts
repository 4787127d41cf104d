import type { Op } from "../schemas/op.js";

/**
 * The application: a map of string keys to string values. A Map, not a plain
 * object, so that no key (`__proto__`, `constructor`) can reach a prototype.
 */
export type KvStore = Map<string, string>;

/** Apply one operation; returns what the client sees (the value for get, "" otherwise). */
export function executeOp(store: KvStore, op: Op): string {
  switch (op.f) {
    case "get":
      return store.get(op.key) ?? "";
    case "put":
      store.set(op.key, op.value);
      return "";
    case "append":
      store.set(op.key, (store.get(op.key) ?? "") + op.value);
      return "";
  }
}
