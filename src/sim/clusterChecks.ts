import { InvariantError } from "../actors/assert.js";
import type { ClusterInvariant, LiveNode } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import { recordServed, servedTwice } from "./served.js";

// The simulator's cluster-wide checks, after every event: the protocol's
// cluster invariants on the live nodes' states, and one primary per view from
// the `served` events (src/sim/served.ts).

/** A broken cluster-wide rule: already says where and when, so the simulator adds nothing to it. */
export class ClusterInvariantError extends InvariantError {
  override name = "ClusterInvariantError";
}

export interface CheckedNode extends LiveNode {
  readonly address: Address;
  /** Its place in the order nodes were added. */
  readonly index: number;
  /** The cluster invariants that read its role's states (`ClusterChecker.reading`). */
  readonly invariants: readonly ClusterInvariant[];
}

export class ClusterChecker {
  /** Per invariant, the nodes of the roles it reads that are up, by address (smaller maps: faster checks). */
  private readonly live = new Map<ClusterInvariant, Map<Address, CheckedNode>>();
  private readonly addresses: Address[] = [];
  private servedList: readonly number[] = [];

  constructor(private readonly invariants: readonly ClusterInvariant[]) {
    for (const invariant of invariants) this.live.set(invariant, new Map());
  }

  /** The invariants that read states of `role`: the only ones an event of such a node may break. */
  reading(role: string): readonly ClusterInvariant[] {
    return this.invariants.filter((invariant) => invariant.roles?.includes(role) ?? true);
  }

  up(node: CheckedNode): void {
    for (const invariant of node.invariants) this.live.get(invariant)!.set(node.address, node);
    this.addresses[node.index] = node.address;
  }

  down(node: CheckedNode): void {
    for (const invariant of node.invariants) this.live.get(invariant)!.delete(node.address);
  }

  /** After an event of `node`: throws ClusterInvariantError on the first of its invariants the live states break. */
  check(node: CheckedNode, nowMs: number): void {
    const invariants = node.invariants;
    for (let i = 0; i < invariants.length; i++) {
      const invariant = invariants[i]!;
      const broken = invariant.check(this.live.get(invariant)!);
      if (broken !== null)
        throw new ClusterInvariantError(`${invariant.name} at ${nowMs.toFixed(3)} ms: ${broken}`);
    }
  }

  /** `node` answered clients as primary of `viewNum`: throws when another node already did. */
  served(node: CheckedNode, viewNum: number): void {
    const outcome = recordServed(this.servedList, viewNum, node.index);
    if ("served" in outcome) {
      this.servedList = outcome.served;
      return;
    }
    const other = this.addresses[outcome.otherNode]!;
    throw new ClusterInvariantError(`onePrimaryPerView: ${servedTwice(viewNum, other, node.address)}`);
  }
}
