// DBSIZE: the servers know their key count (`kv status` shows `keys`), the
// library does not. The gateway asks the view for the configuration's
// serving node (its primary: every protocol answers operations from it, pb
// once the backup holds them, VR once committed) and that node for its status,
// and answers its `keys` only if the node still is the primary of that view.
// While the view is changing (the node has not yet taken up the view the view
// server announces, or no view has a primary yet) it asks again until the
// status timeout; otherwise (still changing, node not answering, no way to
// ask) an error that says why the count is not known. The count is one moment of the primary's
// store, not ordered with the operations in flight.
import { setTimeout as sleep } from "node:timers/promises";
import type { KvClient } from "../client/connect.js";
import type { MemoryCluster } from "../memory/cluster.js";
import type { Address } from "../schemas/address.js";
import type { NodeStatus } from "../schemas/clusterEvents.js";
import type { View } from "../schemas/view.js";

/** Where node statuses come from: the broker's status query (operator only), or an in-process cluster. */
export interface StatusSource {
  /** The node's status, or null when it did not answer within `timeoutMs`. */
  statusOf(node: Address, timeoutMs: number): Promise<NodeStatus | null>;
}

/** A status source, or why this gateway cannot have one (a client user's credentials). */
export type KeyCountSource = StatusSource | { unknownBecause: string };

/** How long DBSIZE waits for the primary's status: a live node answers within milliseconds. */
export const statusTimeoutMs = 2_000;

/** How long DBSIZE waits before asking again while the view is changing. */
const viewChangeRetryMs = 20;

/** DBSIZE without an answer: the message says why the count is not known. */
export class KeyCountUnknownError extends Error {
  override readonly name = "KeyCountUnknownError";
  constructor(reason: string) {
    super(`DBSIZE is not known: ${reason}`);
  }
}

/** The in-process cluster's statuses (transport `memory`), read from its nodes' states. */
export function memoryStatusSource(cluster: MemoryCluster): StatusSource {
  return { statusOf: async (node) => cluster.statusOf(node) };
}

/** The gateway's default: the memory cluster's statuses, else none (the CLI gives the broker's). */
export function defaultKeyCountSource(kv: KvClient): KeyCountSource {
  if (kv.memoryCluster !== null) return memoryStatusSource(kv.memoryCluster);
  return { unknownBecause: "this gateway was started without a way to ask the servers' status" };
}

/** The number of keys the serving node holds; KeyCountUnknownError when it cannot be known within `timeoutMs`. */
export async function countKeys(kv: KvClient, source: KeyCountSource, timeoutMs: number): Promise<number> {
  if ("unknownBecause" in source) throw new KeyCountUnknownError(source.unknownBecause);
  const deadlineMs = Date.now() + timeoutMs;
  for (;;) {
    // Asked again, the node gets what is left of the timeout: the whole answer stays within it.
    const askMs = Math.max(1, deadlineMs - Date.now());
    const view = await kv.view();
    const status = view.primary === null ? null : await source.statusOf(view.primary, askMs);
    const count = keyCountOf(view, status, askMs);
    if ("keys" in count) return count.keys;
    if (!count.viewChanging || Date.now() >= deadlineMs) throw new KeyCountUnknownError(count.unknown);
    await sleep(viewChangeRetryMs);
  }
}

/** A count that is not known: why, and whether the view is changing (worth asking again soon). */
export interface KeyCountUnknown {
  unknown: string;
  viewChanging: boolean;
}

/** The count from the view and its primary's status (null: no answer), or why it is not known. */
export function keyCountOf(
  view: View,
  status: NodeStatus | null,
  timeoutMs: number,
): { keys: number } | KeyCountUnknown {
  const primary = view.primary;
  if (primary === null) return { unknown: `view ${view.viewNum} has no primary`, viewChanging: true };
  if (status === null)
    return {
      unknown: `${primary}, the primary of view ${view.viewNum}, did not answer its status within ${timeoutMs} ms`,
      viewChanging: false,
    };
  if (status.role !== "primary" || status.viewNum !== view.viewNum)
    return {
      unknown: `${primary} is ${status.role} in view ${status.viewNum}, not the serving primary of view ${view.viewNum} (the view is changing); try again`,
      viewChanging: true,
    };
  return { keys: status.keys };
}
