import type { Op } from "../../../schemas/op.js";
import { noFaults, type EventPolicy, type NamedPredicate, type Phase } from "../../../search/scenario.js";
import {
  allClientsDone,
  allNormalIn,
  clientCompleted,
  outstandingOperationsDone,
  viewNumRoseAbove,
} from "./predicates.js";

// The building blocks of VR's search tests (scenarios.ts): operations, fault
// policies and the phase kinds with their usual bounds (as pb's phases.ts).

export const put = (key: string, value: string): Op => ({ f: "put", key, value });
export const append = (key: string, value: string): Op => ({ f: "append", key, value });
export const get = (key: string): Op => ({ f: "get", key });

export const allReplicas = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `server-${i + 1}`);

/** Replicas may crash and restart, up to these totals since the initial state. */
export function crashes(replicas: number, crashesMax: number, restartsMax: number): EventPolicy {
  return { ...noFaults, crashable: allReplicas(replicas), crashesMax, restartsMax };
}

/** Every link between `isolated` and the other replicas, cut. */
export function isolate(isolated: string, replicas: number): [string, string][] {
  return allReplicas(replicas)
    .filter((other) => other !== isolated)
    .map((other) => [isolated, other]);
}

type ReachSpec = Pick<Phase, "name" | "startFrom" | "prunes" | "events" | "depthMax"> &
  Partial<Pick<Phase, "statesMax" | "secondsMax">> & { goal: NamedPredicate };

/** A reach phase stops at its goal, so its bounds only cap a goal that is not there. */
export function reach({ name, statesMax = 500_000, secondsMax = 30, ...rest }: ReachSpec): Phase {
  return { name, kind: "reach", ...rest, statesMax, secondsMax };
}

type ExploreSpec = Pick<
  Phase,
  "name" | "startFrom" | "prunes" | "events" | "depthMax" | "statesMax" | "secondsMax"
> & { probes: NonNullable<Phase["probes"]> };

/** A BFS within its bounds, then random probes (required, so no scenario loses them by omission). */
export function explore({ name, ...rest }: ExploreSpec): Phase {
  return { name, kind: "explore", ...rest };
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
