// The fault layer's decisions (DESIGN §5), kept apart from the I/O that
// carries them out: the sending host asks `planSend` what to do with each
// message, then the broker does it (a TTL queue delays, a TTL-0 queue drops
// into `<c>.lost`). Pure functions of the settings and a random source.
import type { Address } from "../schemas/address.js";
import { cleanNet, type ControlCommand, type NetSettings } from "../schemas/control.js";
import { delayBucketsMs } from "./topology.js";

export interface FaultSettings {
  /** Applies to every link without an override. */
  net: NetSettings;
  /** Overrides by `from>to`. */
  links: Map<string, NetSettings>;
  /** Null: no partition. */
  groups: Address[][] | null;
}

export type SendPlan =
  | { kind: "partitioned" }
  | { kind: "dropped" }
  /** One entry per copy: 0 means at once, otherwise a delay bucket in ms. */
  | { kind: "deliver"; copiesDelayMs: number[] };

export function cleanFaults(): FaultSettings {
  return { net: { ...cleanNet, delayMs: [0, 0] }, links: new Map(), groups: null };
}

function linkKey(from: Address, to: Address): string {
  return `${from}>${to}`;
}

/**
 * Applies the network part of a control command (net, partition, heal,
 * reset) in place. Crash, restart and start concern one node and leave the network alone.
 */
export function applyToFaults(faults: FaultSettings, command: ControlCommand): void {
  switch (command.type) {
    case "net": {
      faults.net = { drop: command.drop, duplicate: command.duplicate, delayMs: [...command.delayMs] };
      faults.links = new Map();
      for (const link of command.links ?? []) {
        faults.links.set(linkKey(link.from, link.to), {
          drop: link.drop ?? command.drop,
          duplicate: link.duplicate ?? command.duplicate,
          delayMs: link.delayMs !== undefined ? [...link.delayMs] : [...command.delayMs],
        });
      }
      return;
    }
    case "partition":
      faults.groups = command.groups.map((group) => [...group]);
      return;
    case "heal":
      faults.groups = null;
      return;
    case "reset": {
      const clean = cleanFaults();
      faults.net = clean.net;
      faults.links = clean.links;
      faults.groups = null;
      return;
    }
    case "crash":
    case "restart":
    case "status":
    case "start":
    case "tap":
      return;
  }
}

/** Nodes in different groups cannot talk; a node named in no group reaches everyone. */
export function canReach(
  groups: readonly (readonly Address[])[] | null,
  from: Address,
  to: Address,
): boolean {
  if (groups === null) return true;
  const groupOf = (address: Address): number => groups.findIndex((group) => group.includes(address));
  const fromGroup = groupOf(from);
  const toGroup = groupOf(to);
  return fromGroup === -1 || toGroup === -1 || fromGroup === toGroup;
}

export function settingsFor(faults: FaultSettings, from: Address, to: Address): NetSettings {
  return faults.links.get(linkKey(from, to)) ?? faults.net;
}

/** The bucket nearest to `delayMs` (0 for less than half a millisecond: no delay). */
export function bucketFor(delayMs: number): number {
  if (delayMs < 0.5) return 0;
  let best: number = delayBucketsMs[0];
  for (const bucket of delayBucketsMs) {
    if (Math.abs(bucket - delayMs) < Math.abs(best - delayMs)) best = bucket;
  }
  return best;
}

export function planSend(faults: FaultSettings, from: Address, to: Address, random: () => number): SendPlan {
  if (!canReach(faults.groups, from, to)) return { kind: "partitioned" };
  const settings = settingsFor(faults, from, to);
  if (settings.drop > 0 && random() < settings.drop) return { kind: "dropped" };
  const copies = settings.duplicate > 0 && random() < settings.duplicate ? 2 : 1;
  const [minMs, maxMs] = settings.delayMs;
  const copiesDelayMs: number[] = [];
  for (let copy = 0; copy < copies; copy++) {
    copiesDelayMs.push(maxMs <= 0 ? 0 : bucketFor(minMs + random() * (maxMs - minMs)));
  }
  return { kind: "deliver", copiesDelayMs };
}

/** One line for logs and `fault` events. */
export function describeFaults(faults: FaultSettings): string {
  const net = faults.net;
  const parts = [
    `drop ${net.drop}`,
    `duplicate ${net.duplicate}`,
    `delay ${net.delayMs[0]}-${net.delayMs[1]} ms`,
  ];
  if (faults.links.size > 0) parts.push(`${faults.links.size} link overrides`);
  parts.push(
    faults.groups === null
      ? "no partition"
      : `partition ${faults.groups.map((g) => g.join(",")).join(" | ")}`,
  );
  return parts.join(", ");
}
