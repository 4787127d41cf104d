import type { Op } from "../schemas/op.js";
import { noFaults, type EventPolicy, type NamedPredicate, type Phase } from "./scenario.js";

// The building blocks every protocol's search scenarios are written with
// (src/protocols/*/search/): operations, fault policies and the phase kinds
// with their usual bounds.

export const put = (key: string, value: string): Op => ({ f: "put", key, value });
export const append = (key: string, value: string): Op => ({ f: "append", key, value });
export const get = (key: string): Op => ({ f: "get", key });

export const allServers = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `server-${i + 1}`);

/** Servers may crash and restart, up to these totals since the initial state. */
export function crashes(servers: number, crashesMax: number, restartsMax: number): EventPolicy {
  return { ...noFaults, crashable: allServers(servers), crashesMax, restartsMax };
}

/** A reach phase as declared in scenarios: a goal is required, the state and time bounds default. */
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
