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
  /**
   * Each cut link under both its ends: a delivery while something is cut
   * looks it up by address, where a key joined from both names would build a
   * string for every delivery.
   */
  private readonly cutFrom = new Map<Address, Set<Address>>();

  partition(groups: Address[][]): void {
    this.groupOf = new Map();
    groups.forEach((group, index) => group.forEach((address) => this.groupOf.set(address, index)));
  }

  /** Cut both directions between two nodes (MIT's Partition1: a primary cut from the view server). */
  cut(a: Address, b: Address): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  private cutOneWay(from: Address, to: Address): void {
    let cut = this.cutFrom.get(from);
    if (cut === undefined) this.cutFrom.set(from, (cut = new Set()));
    cut.add(to);
  }

  heal(): void {
    this.groupOf = new Map();
    this.cutFrom.clear();
  }

  reset(): void {
    this.heal();
    this.link = { ...reliableLink };
  }

  canTalk(from: Address, to: Address): boolean {
    // Asked for every delivery; most of the time nothing is cut or partitioned.
    if (this.groupOf.size === 0 && this.cutFrom.size === 0) return true;
    if (this.cutFrom.get(from)?.has(to) === true) return false;
    const a = this.groupOf.get(from);
    const b = this.groupOf.get(to);
    return a === undefined || b === undefined || a === b;
  }

  // One send asks, in this order: drops? then the first copy's delay, then
  // duplicates? and the second copy's delay. Separate questions rather than
  // an array of delays, so a send allocates nothing for its fate.

  /** This send is lost. */
  drops(random: Random): boolean {
    return random.chance(this.link.drop);
  }

  /** This send is delivered twice. */
  duplicates(random: Random): boolean {
    return random.chance(this.link.duplicate);
  }

  /** One copy's delivery delay. */
  delayMs(random: Random): number {
    const range = this.link.delayMs;
    return random.between(range[0], range[1]);
  }
}
