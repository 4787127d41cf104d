import type { World } from "../../../search/engine.js";
import type { NamedPredicate } from "../../../search/scenario.js";
import type { SearchState } from "../../../search/state.js";
import { unexecutedReconfigurationOp } from "../log.js";
import { describeMembers } from "../members.js";
import type { OperatorState } from "../operator.js";
import { replicaOf } from "./predicates.js";

// Goals and prunes of the reconfiguration scenarios (epochScenarios.ts).

function operatorOf(world: World, state: SearchState): OperatorState | null {
  return world.roleOf("operator") === "operator"
    ? (world.stateOf(state, "operator") as OperatorState | null)
    : null;
}

/** Epoch 0's members are normal in view 0 and every other slot settled as a spare. */
export function epochZeroSettled(members: readonly number[], slots: number): NamedPredicate {
  return {
    name: `${describeMembers(members)} normal in view 0, the other slots spare`,
    test: (world, state) =>
      Array.from({ length: slots }, (_, index) => index).every((index) => {
        const replica = replicaOf(world, state, index);
        if (replica === null) return false;
        if (members.includes(index)) return replica.status === "normal" && replica.viewNum === 0;
        return replica.status === "spare";
      }),
  };
}

/** Slot `index` settled: normal in view 0 if it is one of epoch 0's `members`, else a spare. */
export function slotSettled(index: number, members: readonly number[]): NamedPredicate {
  const member = members.includes(index);
  return {
    name: `server-${index + 1} ${member ? "normal in view 0" : "spare"}`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      if (replica === null) return false;
      return member ? replica.status === "normal" && replica.viewNum === 0 : replica.status === "spare";
    },
  };
}

/** These replicas are normal in view 0 (epoch 0). */
export function allMembersNormal(members: readonly number[]): NamedPredicate {
  return {
    name: `${describeMembers(members)} normal in view 0`,
    test: (world, state) =>
      members.every((index) => {
        const replica = replicaOf(world, state, index);
        return replica !== null && replica.status === "normal" && replica.viewNum === 0;
      }),
  };
}

/** The operator has asked for a reconfiguration (a prune while the cluster settles). */
export const operatorStarted: NamedPredicate = {
  name: "the operator asked for a reconfiguration",
  test: (world, state) => {
    const operator = operatorOf(world, state);
    return operator !== null && (operator.current !== null || operator.done > 0);
  },
};

/** The operator saw `count` reconfigurations run (CheckEpoch answered in each new epoch). */
export function reconfigurationsDone(count: number): NamedPredicate {
  return {
    name: `${count} reconfiguration(s) done (the operator's CheckEpoch answered)`,
    test: (world, state) => (operatorOf(world, state)?.done ?? 0) >= count,
  };
}

/** Replica `index` runs epoch `epoch` (or a later one) normally. */
export function runsEpoch(index: number, epoch: number): NamedPredicate {
  return {
    name: `server-${index + 1} normal in epoch ${epoch}`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return replica !== null && replica.epoch >= epoch && replica.status === "normal";
    },
  };
}

/** Replica `index` holds a reconfiguration it has not executed. */
export function reconfigurationLogged(index: number): NamedPredicate {
  return {
    name: `server-${index + 1}'s log holds a reconfiguration it has not executed`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      if (replica === null) return false;
      return replica.log
        .slice(replica.app.applied - replica.logStart)
        .some((entry) => entry.type === "reconfig" && entry.epoch > replica.epoch);
    },
  };
}

/** Replica `index`, a primary, heard EpochProbeOK from `member` for the reconfiguration it logged. */
export function probeAnswered(index: number, member: number): NamedPredicate {
  return {
    name: `server-${index + 1} heard server-${member + 1} answer its probe`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      const op = replica === null ? null : unexecutedReconfigurationOp(replica);
      return op !== null && replica!.acked[member]! >= op;
    },
  };
}

/** Replica `index` is removed in epoch `epoch` and has heard no EpochStarted yet. */
export function removedUnheard(index: number, epoch: number): NamedPredicate {
  return {
    name: `server-${index + 1} removed in epoch ${epoch}, no EpochStarted heard`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return (
        replica !== null &&
        replica.epoch === epoch &&
        replica.status === "removed" &&
        replica.epochStarted.length === 0
      );
    },
  };
}

/** Replica `index` is in `status` (in epoch `epoch` or a later one). */
export function statusIn(index: number, status: string, epoch: number): NamedPredicate {
  return {
    name: `server-${index + 1} ${status} in epoch ${epoch}`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return replica !== null && replica.status === status && replica.epoch >= epoch;
    },
  };
}

/** Replica `index` is out of epoch `epoch`'s group: removed (serving fetches) or retired. */
export function leftOut(index: number, epoch: number): NamedPredicate {
  return {
    name: `server-${index + 1} removed in epoch ${epoch}`,
    test: (world, state) => {
      const replica = replicaOf(world, state, index);
      return replica !== null && replica.epoch >= epoch && ["removed", "retired"].includes(replica.status);
    },
  };
}

/** Some replica is in an epoch above `epochMax` (a prune). */
export function epochAbove(epochMax: number): NamedPredicate {
  return {
    name: `an epoch above ${epochMax}`,
    test: (world, state) =>
      world
        .nodesWithRole("replica")
        .some((_, index) => (replicaOf(world, state, index)?.epoch ?? 0) > epochMax),
  };
}
