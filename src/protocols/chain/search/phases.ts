export { allServers, append, crashes, explore, get, put, reach } from "../../../search/phases.js";
import { reach } from "../../../search/phases.js";
import { noFaults, type NamedPredicate, type Phase } from "../../../search/scenario.js";
import {
  allClientsDone,
  chainOutOfOrder,
  chainSettled,
  clientCompleted,
  outstandingOperationsDone,
  viewNumRoseAbove,
} from "./predicates.js";

// The building blocks of chain replication's search tests (scenarios.ts):
// operations, fault policies and the phase kinds with their usual bounds
// (as pb's and VR's phases.ts).

/** Every explore phase's bounds: a BFS, then random probes beyond it. */
export const safetyBounds = {
  statesMax: 100_000,
  secondsMax: 4,
  probes: { depthMax: 200, secondsMax: 2 },
} as const;

/**
 * The servers ping, the first becomes the chain, the others join one by one
 * as the tail, until a chain of `length` is settled, before any client
 * starts, in address order (server-1 the head; the other orders are the
 * same up to names, and pruned). One reach phase per member (a BFS to a chain of three in one go
 * is too deep), each with synchronous timing (the master declares no live
 * server dead) and no view beyond the two a join takes; the last is named
 * "settle".
 */
export function settle(length: number): Phase[] {
  return Array.from({ length }, (_, i) =>
    reach({
      name: i + 1 === length ? "settle" : `settle ${i + 1}`,
      goal: chainSettled(i + 1),
      prunes: [chainOutOfOrder, viewNumRoseAbove(i === 0 ? 1 : 2)],
      events: { ...noFaults, invokes: false, fairTimers: true },
      depthMax: 30,
    }),
  );
}

/**
 * After the faults stop, with synchronous timing (the master's check waits
 * until every live server it knows pinged), every client finishes.
 * Exhaustive: no way there is a liveness violation.
 */
export function recover(
  name = "recover",
  prunes: NamedPredicate[] = [viewNumRoseAbove(3)],
  goal: NamedPredicate = allClientsDone,
): Phase {
  return {
    name,
    kind: "recover",
    goal,
    prunes,
    events: { ...noFaults, fairTimers: true },
    depthMax: 200,
    statesMax: 1_000_000,
    secondsMax: 40,
  };
}

/** As recover, when finishing every operation is too deep: every operation outstanding at the start is answered. */
export function recoverOutstanding(
  name = "recover",
  prunes: NamedPredicate[] = [viewNumRoseAbove(3)],
): Phase {
  return {
    ...recover(name, prunes, outstandingOperationsDone),
    events: { ...noFaults, invokes: false, fairTimers: true },
  };
}

/**
 * Liveness without faults, one reach phase per operation of `client` (a BFS
 * to the end of three operations is deep): with synchronous timing and no
 * view change, each operation is answered.
 */
export function eachAnswered(client: string, count: number, depthMax = 16): Phase[] {
  return Array.from({ length: count }, (_, i) =>
    reach({
      name: i + 1 === count ? "liveness" : `liveness ${i + 1}`,
      goal: i + 1 === count ? allClientsDone : clientCompleted(client, i + 1),
      prunes: [viewNumRoseAbove(0)],
      events: { ...noFaults, fairTimers: true },
      depthMax,
    }),
  );
}
