import type { Address } from "../schemas/address.js";
import type { Random } from "./random.js";

/** How the simulated network mistreats a message on one link. */
export interface LinkFaults {
  /** Probability a message is lost. */
  drop: number;
  /** Probability a message is delivered twice (each copy with its own delay). */
  duplicate: number;
  /** Each copy waits a uniform time in this range; different delays reorder. */
  delayMs: [number, number];
}

export const reliableLink: LinkFaults = { drop: 0, duplicate: 0, delayMs: [0.2, 1] };

/**
 * The simulated network's fault settings: default link faults, partitions
 * (nodes in different groups cannot talk; a node in no group reaches all) and
 * cut links.
 */
export class NetworkFaults {
  link: LinkFaults = { ...reliableLink };
  private groupOf = new Map<Address, number>();
  private cutLinks = new Set<string>();

  partition(groups: Address[][]): void {
    this.groupOf = new Map();
    groups.forEach((group, index) => group.forEach((address) => this.groupOf.set(address, index)));
  }

  /** Cut both directions between two nodes (MIT's Partition1: a primary cut from the view server). */
  cut(a: Address, b: Address): void {
    this.cutLinks.add(linkKey(a, b));
  }

  heal(): void {
    this.groupOf = new Map();
    this.cutLinks.clear();
  }

  reset(): void {
    this.heal();
    this.link = { ...reliableLink };
  }

  canTalk(from: Address, to: Address): boolean {
    if (this.cutLinks.size > 0 && this.cutLinks.has(linkKey(from, to))) return false;
    const a = this.groupOf.get(from);
    const b = this.groupOf.get(to);
    return a === undefined || b === undefined || a === b;
  }

  /** The delivery delays of one send: none when dropped, two when duplicated. */
  delays(random: Random): number[] {
    const { drop, duplicate, delayMs } = this.link;
    if (random.chance(drop)) return [];
    const first = random.between(delayMs[0], delayMs[1]);
    return random.chance(duplicate) ? [first, random.between(delayMs[0], delayMs[1])] : [first];
  }
}

function linkKey(a: Address, b: Address): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
