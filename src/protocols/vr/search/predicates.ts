import type { Address } from "../../../schemas/address.js";
import type { World } from "../../../search/engine.js";
import type { NamedPredicate } from "../../../search/scenario.js";
export { allClientsDone, and, clientBusy, clientCompleted, not } from "../../../search/predicates.js";
import { clientCompleted } from "../../../search/predicates.js";
import { hasMessage, type SearchState } from "../../../search/state.js";
import type { VrClientState } from "../client.js";
import { primaryOf, replicaAddress } from "../members.js";
import { isPrimary, type ReplicaState } from "../state.js";

// Goals and prunes VR's scenarios are built from (DSLabs' StatePredicates).
// Replicas are named by index (server-1 is index 0), as the protocol does:
// the primary of view v is replica v mod n.

/** The primary of the latest view a live replica is normal in, at the phase's start (SearchSupport.standIn). */
export const startPrimaryRef = "@start-primary";

export function replicaOf(world: World, state: SearchState, index: number): ReplicaState | null {
  const address = replicaAddress(index);
  return world.roleOf(address) === "replica" ? (world.stateOf(state, address) as ReplicaState | null) : null;
}

export function clientOf(world: World, state: SearchState, address: Address): VrClientState | null {
  return world.roleOf(address) === "client" ? (world.stateOf(state, address) as VrClientState | null) : null;
}

function replicaIndexes(world: World): number[] {
  return world.nodesWithRole("replica").map((_, index) => index);
}

/** The highest view any live replica is in (normal or not). */
export function highestView(world: World, state: SearchState): number {
  let viewNum = 0;
  for (const index of replicaIndexes(world))
    viewNum = Math.max(viewNum, replicaOf(world, state, index)?.viewNum ?? 0);
  return viewNum;
}

/** The replica a stand-in names, from the replicas' states (null for a name that is none of VR's). */
export function resolveStandIn(name: string, stateOf: (address: Address) => unknown): Address | null {
  if (name !== startPrimaryRef) return null;
  let latest: ReplicaState | null = null;
  for (let index = 0; index < 9; index++) {
    const replica = stateOf(replicaAddress(index)) as ReplicaState | null;
    if (replica === null || replica.status !== "normal") continue;
    const later =
      latest === null ||
      replica.epoch > latest.epoch ||
      (replica.epoch === latest.epoch && replica.viewNum >= latest.viewNum);
    if (later) latest = replica;
  }
  return latest === null ? name : replicaAddress(primaryOf(latest.viewNum, latest.members));
}

/** Some replica is in a view above `viewNumMax`. */
export function viewNumAbove(viewNumMax: number): NamedPredicate {
  return {
    name: `a replica is in a view above ${viewNumMax}`,
    test: (world, state) => highestView(world, state) > viewNumMax,
  };
}

/** Some replica is more than `increase` views beyond the highest view at the phase's start. */
export function viewNumRoseAbove(increase: number): NamedPredicate {
  return {
    name: `a replica is more than ${increase} view(s) beyond the phase's start`,
    test: (world, state, start) => highestView(world, state) > highestView(world, start) + increase,
  };
}

/** Every replica is up and normal in view `viewNum` (any view when null), and has executed what its primary committed. */
export function allNormalIn(viewNum: number | null): NamedPredicate {
  return {
    name: `every replica is normal in ${viewNum === null ? "one view" : `view ${viewNum}`} and caught up`,
    test: (world, state) => {
      const replicas = replicaIndexes(world).map((index) => replicaOf(world, state, index));
      const first = replicas[0];
      if (first === null || first === undefined) return false;
      const expected = viewNum ?? first.viewNum;
      const primary = replicas[primaryOf(expected, first.members)];
      return replicas.every(
        (replica) =>
          replica !== null &&
          replica.status === "normal" &&
          replica.viewNum === expected &&
          primary !== null &&
          primary !== undefined &&
          replica.commitNumber === primary.commitNumber,
      );
    },
  };
}

/** Replica `index` is up, normal in view `viewNum`. */
export function normalIn(index: number, viewNum: number): NamedPredicate {
  return {
    name: `server-${index + 1} is normal in view ${viewNum}`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return replica !== null && replica.status === "normal" && replica.viewNum === viewNum;
    },
  };
}

/** Replica `index` is up, changing views, with `lastNormal` its latest normal view. */
export function changingViewsFrom(index: number, lastNormal: number): NamedPredicate {
  return {
    name: `server-${index + 1} is changing views, last normal in view ${lastNormal}`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return replica !== null && replica.status === "view-change" && replica.lastNormal === lastNormal;
    },
  };
}

/** Replica `index` has heard of view `viewNum` or a later one. */
export function inViewAtLeast(index: number, viewNum: number): NamedPredicate {
  return {
    name: `server-${index + 1} is in view ${viewNum} or later`,
    test: (world, state) => (replicaOf(world, state, index)?.viewNum ?? -1) >= viewNum,
  };
}

/** Replica `index` holds op-numbers up to at most `opNumberMax` in its log. */
export function logAtMost(index: number, opNumberMax: number): NamedPredicate {
  return {
    name: `server-${index + 1} holds at most ${opNumberMax} entries`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return replica !== null && replica.opNumber <= opNumberMax;
    },
  };
}

/** Replica `index` knows of at most `commitMax` committed entries. */
export function commitAtMost(index: number, commitMax: number): NamedPredicate {
  return {
    name: `server-${index + 1} knows at most ${commitMax} committed entries`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return replica !== null && replica.commitNumber <= commitMax;
    },
  };
}

/** Replica `index` knows of at least `commitMin` committed entries. */
export function commitAtLeast(index: number, commitMin: number): NamedPredicate {
  return {
    name: `server-${index + 1} knows at least ${commitMin} committed entries`,
    test: (world, state) => (replicaOf(world, state, index)?.commitNumber ?? -1) >= commitMin,
  };
}

/** Replica `index` holds, at op-number `op`, an entry of `client`. */
export function entryOf(index: number, op: number, client: Address): NamedPredicate {
  return {
    name: `server-${index + 1}'s entry ${op} is ${client}'s`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      if (replica === null || op <= replica.logStart || op > replica.opNumber) return false;
      const entry = replica.log[op - replica.logStart - 1]!;
      return (entry.type === "op" || entry.type === "register") && entry.client === client;
    },
  };
}

/** Replica `index` holds at least `opNumberMin` entries. */
export function logAtLeast(index: number, opNumberMin: number): NamedPredicate {
  return {
    name: `server-${index + 1} holds at least ${opNumberMin} entries`,
    test: (world, state) => (replicaOf(world, state, index)?.opNumber ?? -1) >= opNumberMin,
  };
}

/** The normal primary of the latest view holds an entry it has not committed. */
export const primaryHoldsUncommitted: NamedPredicate = {
  name: "the primary holds an uncommitted entry",
  test: (world, state) =>
    replicaIndexes(world).some((index) => {
      const replica = replicaOf(world, state, index);
      return (
        replica !== null &&
        replica.status === "normal" &&
        isPrimary(replica) &&
        replica.commitNumber < replica.opNumber
      );
    }),
};

/** Replica `index` is the normal primary of its view, with entries after its commit-number no other replica holds. */
export function aloneHoldsUncommitted(index: number): NamedPredicate {
  return {
    name: `server-${index + 1} is the normal primary and alone holds its uncommitted entries`,
    test: (world, state) => {
      const primary = replicaOf(world, state, index);
      if (primary === null || primary.status !== "normal" || !isPrimary(primary)) return false;
      if (primary.commitNumber >= primary.opNumber) return false;
      return replicaIndexes(world).every(
        (other) => other === index || (replicaOf(world, state, other)?.opNumber ?? 0) <= primary.commitNumber,
      );
    },
  };
}

/** Replica `index` is up (any status) after at least one crash. */
export function restarted(index: number): NamedPredicate {
  return {
    name: `server-${index + 1} restarted`,
    test: (world, state) =>
      state.slots[world.nodeIndex.get(replicaAddress(index))!]!.life > 0 &&
      replicaOf(world, state, index) !== null,
  };
}

/** Replica `index` crashed at least once and is back, normal again (its recovery finished). */
export function recoveredAfterCrash(index: number): NamedPredicate {
  return {
    name: `server-${index + 1} restarted and recovered`,
    test: (world, state) => {
      const node = world.nodeIndex.get(replicaAddress(index))!;
      const replica = replicaOf(world, state, index);
      return state.slots[node]!.life > 0 && replica !== null && replica.status === "normal";
    },
  };
}

/** Replica `index` is down (crashed, not restarted). */
export function replicaDown(index: number): NamedPredicate {
  return {
    name: `server-${index + 1} is down`,
    test: (world, state) => replicaOf(world, state, index) === null,
  };
}

/** Replica `index` dropped part of its log into a checkpoint. */
export function checkpointed(index: number): NamedPredicate {
  return {
    name: `server-${index + 1} dropped log entries into a checkpoint`,
    test: (world, state) => (replicaOf(world, state, index)?.logStart ?? 0) > 0,
  };
}

/** Replica `index` executed as many entries as the latest normal primary committed, at least `appliedMin`. */
export function caughtUp(index: number, appliedMin: number): NamedPredicate {
  return {
    name: `server-${index + 1} executed every committed entry (at least ${appliedMin})`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      if (replica === null || replica.status !== "normal" || replica.app.applied < appliedMin) return false;
      const primary = replicaOf(world, state, primaryOf(replica.viewNum, replica.members));
      return (
        primary !== null && primary.viewNum === replica.viewNum && replica.app.applied >= primary.commitNumber
      );
    },
  };
}

/**
 * Every operation outstanding in the phase's start state has been answered:
 * the liveness promise for a recovery phase that lets no new operation start.
 */
export const outstandingOperationsDone: NamedPredicate = {
  name: "every operation outstanding at the phase's start was answered",
  test: (world, state, start) =>
    world.clientNodes.every((node) => {
      const address = world.nodes[node]!.address;
      const seq = clientOf(world, start, address)?.current?.seq;
      return seq === undefined || clientCompleted(address, seq).test(world, state, start);
    }),
};

/** Some message of type `type` from `from` is in the network (sent, and so deliverable). */
export function sent(from: Address, type: string): NamedPredicate {
  return {
    name: `${from} sent ${type}`,
    test: (world, state) => {
      const envelopes = world.messages.envelopes;
      for (let id = 0; id < envelopes.length; id++) {
        const envelope = envelopes[id]!;
        if (envelope.from === from && envelope.body.type === type && hasMessage(state.network, id))
          return true;
      }
      return false;
    },
  };
}

/** Replica `index` is normal in view `viewNum` with fewer entries than replica `other`. */
export function normalAndShorter(index: number, viewNum: number, other: number): NamedPredicate {
  return {
    name: `server-${index + 1} is normal in view ${viewNum} with fewer entries than server-${other + 1}`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      const longer = replicaOf(world, state, other);
      return (
        replica !== null &&
        longer !== null &&
        replica.status === "normal" &&
        replica.viewNum === viewNum &&
        replica.opNumber < longer.opNumber
      );
    },
  };
}

export function or(...predicates: NamedPredicate[]): NamedPredicate {
  return {
    name: predicates.map((predicate) => predicate.name).join(" or "),
    test: (world, state, start) => predicates.some((predicate) => predicate.test(world, state, start)),
  };
}
