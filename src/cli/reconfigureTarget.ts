// `npm run reconfigure`'s arithmetic, apart from the broker so that it is
// tested alone: from the group that runs, the slots that answer and the
// request (--add N, --remove NAME...), the next group, or why the request is
// refused (before anything is started or asked for).
import { replicaSlotsMax } from "../schemas/limits.js";
import { serverAddress } from "../schemas/address.js";

/** The fewest replicas a group may have: one failure tolerated (the protocol refuses fewer too). */
export const groupSizeMin = 3;

export interface ReconfigureRequest {
  /** The group that runs: server addresses. */
  members: readonly string[];
  /** Slots whose process answers (members, spares, removed ones still serving): not free. */
  running: readonly string[];
  add: number;
  remove: readonly string[];
}

export type ReconfigureTarget =
  { ok: true; members: string[]; added: string[]; removed: string[] } | { ok: false; reason: string };

/** Every replica slot, server-1 … server-9. */
export const replicaSlots: readonly string[] = Array.from({ length: replicaSlotsMax }, (_, i) =>
  serverAddress(i + 1),
);

export function reconfigureTarget(request: ReconfigureRequest): ReconfigureTarget {
  const { members, running, add, remove } = request;
  if (add === 0 && remove.length === 0) return refuse("nothing asked: give --add N or --remove NAME");
  const unknown = remove.filter((name) => !replicaSlots.includes(name));
  if (unknown.length > 0)
    return refuse(`${unknown.join(", ")}: not a replica (replicas are server-1 … server-${replicaSlotsMax})`);
  const notMembers = remove.filter((name) => !members.includes(name));
  if (notMembers.length > 0)
    return refuse(`${notMembers.join(", ")}: not a member of the group (${members.join(", ")})`);
  if (new Set(remove).size !== remove.length) return refuse("a replica is named twice in --remove");
  const free = replicaSlots.filter((slot) => !members.includes(slot) && !running.includes(slot));
  if (free.length < add)
    return refuse(
      `${add} new replica(s) asked for, ${free.length} slot(s) free (${free.join(", ") || "none"}; at most ${replicaSlotsMax} replicas)`,
    );
  const added = free.slice(0, add);
  const next = [...members.filter((member) => !remove.includes(member)), ...added].sort(bySlot);
  if (next.length < groupSizeMin)
    return refuse(
      `the group would have ${next.length} replica(s); at least ${groupSizeMin} (one failure tolerated)`,
    );
  return { ok: true, members: next, added, removed: [...remove].sort(bySlot) };
}

function refuse(reason: string): ReconfigureTarget {
  return { ok: false, reason };
}

function bySlot(a: string, b: string): number {
  return Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, ""));
}
