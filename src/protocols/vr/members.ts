import { replicaSlotsMax } from "../../schemas/limits.js";
import { type Address, serverAddress } from "../../schemas/address.js";

// An epoch's replica group (docs/VR.md, "Reconfiguration"): who is primary of
// a view, how many make a quorum. Replicas are named by index: replica i is
// server-(i+1), one of replicaSlotsMax slots; an epoch's members are some of
// them, ascending. Quorums are majorities, so a group of any size works (an
// even one tolerates no more failures than the odd one below it).

export function replicaAddress(index: number): Address {
  return serverAddress(index + 1);
}

/** The replica index of `address`, or null when it names no replica slot. */
export function replicaIndex(address: Address): number | null {
  const match = /^server-([1-9][0-9]*)$/.exec(address);
  if (match === null) return null;
  const index = Number(match[1]) - 1;
  return index < replicaSlotsMax ? index : null;
}

/** The primary of `viewNum` among `members`: round robin, as the paper's. */
export function primaryOf(viewNum: number, members: readonly number[]): number {
  return members[viewNum % members.length]!;
}

/** f+1 of 2f+1: a majority of the group. */
export function quorumOf(members: readonly number[]): number {
  return Math.floor(members.length / 2) + 1;
}

/** f: how many of the group may fail (a quorum is left). */
export function faultsOf(members: readonly number[]): number {
  return members.length - quorumOf(members);
}

export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((member, i) => member === b[i]);
}

/** The first `count` replica indices, the group a cluster starts with (epoch 0). */
export function firstMembers(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

export function describeMembers(members: readonly number[]): string {
  return members.map(replicaAddress).join(", ");
}

/** The fewest members an operator may ask for: one failure tolerated. */
export const reconfigureMembersMin = 3;

/** Why `members` cannot be an epoch's group, or null. */
export function membersProblem(members: readonly number[]): string | null {
  if (members.length < reconfigureMembersMin)
    return `${members.length} replicas would tolerate no failure (at least ${reconfigureMembersMin})`;
  if (members.some((member) => member < 0 || member >= replicaSlotsMax))
    return `replicas are server-1 … server-${replicaSlotsMax}`;
  if (members.some((member, i) => i > 0 && member <= members[i - 1]!))
    return "members are named once each, in ascending order";
  return null;
}
