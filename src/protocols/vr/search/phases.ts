export { allServers, append, crashes, explore, get, put, reach } from "../../../search/phases.js";
export { allServers as allReplicas } from "../../../search/phases.js";
import { allServers, reach } from "../../../search/phases.js";
import { noFaults, type NamedPredicate, type Phase } from "../../../search/scenario.js";
import {
  allClientsDone,
  allNormalIn,
  clientCompleted,
  outstandingOperationsDone,
  viewNumRoseAbove,
} from "./predicates.js";

// The building blocks of VR's search tests (scenarios.ts): operations, fault
// policies and the phase kinds with their usual bounds (as pb's phases.ts).

/** Every link between `isolated` and the other replicas, cut. */
export function isolate(isolated: string, replicas: number): [string, string][] {
  return allServers(replicas)
    .filter((other) => other !== isolated)
    .map((other) => [isolated, other]);
}

/** The replicas start recovering, find each other new, and settle in view 0 before any client starts. */
export function settle(): Phase {
  return reach({
    name: "settle",
    goal: allNormalIn(0),
    prunes: [viewNumRoseAbove(0)],
    events: { ...noFaults, invokes: false },
    depthMax: 30,
  });
}

/**
 * After the faults stop, with synchronous timing (a backup suspects its
 * primary only when the primary is down or not normal in its view), every
 * client finishes. Exhaustive: no way there is a liveness violation.
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
    name,
    kind: "recover",
    goal: outstandingOperationsDone,
    prunes,
    events: { ...noFaults, invokes: false, fairTimers: true },
    depthMax: 200,
    statesMax: 1_000_000,
    secondsMax: 40,
  };
}

/**
 * Liveness without faults, one reach phase per operation of `client` (a BFS
 * to the end of three operations would be too deep): with synchronous timing
 * and no view change, each operation is answered.
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
