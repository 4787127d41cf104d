import type { Op } from "../../../schemas/op.js";
import {
  allClientsDone,
  fullViewSettled,
  outstandingOperationsDone,
  viewNumRoseAbove,
} from "./predicates.js";
import { noFaults, type EventPolicy, type NamedPredicate, type Phase } from "../../../search/scenario.js";

// The building blocks of the search tests (scenarios.ts, directedScenarios.ts):
// operations, fault policies and the phase kinds with their usual bounds.

export const put = (key: string, value: string): Op => ({ f: "put", key, value });
export const append = (key: string, value: string): Op => ({ f: "append", key, value });
export const get = (key: string): Op => ({ f: "get", key });

export const allServers = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `server-${i + 1}`);

/** Servers may crash and restart, up to these totals since the initial state. */
export function crashes(servers: number, crashesMax: number, restartsMax: number): EventPolicy {
  return { ...noFaults, crashable: allServers(servers), crashesMax, restartsMax };
}

/** A reach phase as declared here: a goal is required, the state and time bounds default. */
type ReachSpec = Pick<Phase, "name" | "startFrom" | "prunes" | "events" | "depthMax"> &
  Partial<Pick<Phase, "statesMax" | "secondsMax">> & { goal: NamedPredicate };

/**
 * A reach phase stops as soon as it finds its goal, so its state and time
 * bounds only cap a goal that is not there: most share the same generous ones.
 */
export function reach({ name, statesMax = 500_000, secondsMax = 30, ...rest }: ReachSpec): Phase {
  return { name, kind: "reach", ...rest, statesMax, secondsMax };
}

type ExploreSpec = Pick<
  Phase,
  "name" | "startFrom" | "prunes" | "events" | "depthMax" | "statesMax" | "secondsMax"
> & { probes: NonNullable<Phase["probes"]> };

/**
 * An explore phase: a BFS within its bounds, then random probes. Probes are
 * required here so that no scenario loses its deep random walks by omission.
 */
export function explore({ name, ...rest }: ExploreSpec): Phase {
  return { name, kind: "explore", ...rest };
}

/** The servers settle into a full, acknowledged view before any client starts an operation. */
export function settle(): Phase {
  return reach({
    name: "settle",
    goal: fullViewSettled,
    prunes: [],
    events: { ...noFaults, invokes: false },
    depthMax: 40,
  });
}

/** With no more faults, every client finishes its operations. */
export function liveness(prunes: NamedPredicate[], depthMax = 40): Phase {
  return reach({ name: "liveness", goal: allClientsDone, prunes, events: noFaults, depthMax });
}

/**
 * After the faults stop (no more crashes or restarts) and the network heals
 * (synchronous timing: the view server's check waits for the ping of every
 * live server, so it declares no running server dead), every client finishes
 * its operations, the outstanding one included. The BFS is exhaustive: if no
 * sequence of events from the start state gets there, that is a liveness
 * violation with a trace, not a missing goal. The prune bounds view churn to
 * what recovering can need; the state bound is generous because the goal
 * stops the search long before it.
 */
export function recover(name = "recover", prunes: NamedPredicate[] = [viewNumRoseAbove(3)]): Phase {
  return {
    name,
    kind: "recover",
    goal: allClientsDone,
    prunes,
    events: { ...noFaults, fairTimers: true },
    depthMax: 200,
    statesMax: 1_000_000,
    secondsMax: 40,
  };
}

/**
 * As recover, where finishing every operation is too deep for a BFS (two
 * clients with four operations each; a client's three operations started in
 * a churned view): no new operation starts, and every one outstanding when
 * the faults stopped is answered.
 */
export function recoverOutstanding(
  prunes: NamedPredicate[] = [viewNumRoseAbove(3)],
  statesMax = 1_000_000,
): Phase {
  return {
    name: "recover",
    kind: "recover",
    goal: outstandingOperationsDone,
    prunes,
    events: { ...noFaults, invokes: false, fairTimers: true },
    depthMax: 200,
    statesMax,
    secondsMax: 40 * (statesMax / 1_000_000),
  };
}
