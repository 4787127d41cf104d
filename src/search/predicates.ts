import type { Address } from "../schemas/address.js";
import type { NamedPredicate } from "./scenario.js";

// Predicates every protocol's scenarios use (DSLabs' StatePredicates): the
// combinators and the generic goal; the protocols' own read their states.

export const allClientsDone: NamedPredicate = {
  name: "every client finished its operations",
  test: (world, state) => world.allClientsDone(state),
};

export function and(...predicates: NamedPredicate[]): NamedPredicate {
  return {
    name: predicates.map((predicate) => predicate.name).join(" and "),
    test: (world, state, start) => predicates.every((predicate) => predicate.test(world, state, start)),
  };
}

export function not(predicate: NamedPredicate): NamedPredicate {
  return {
    name: `not (${predicate.name})`,
    test: (world, state, start) => !predicate.test(world, state, start),
  };
}

/** The client has completed this many operations (and is not busy with the next). */
export function clientCompleted(client: Address, count: number): NamedPredicate {
  return {
    name: `${client} completed ${count} operation(s)`,
    test: (world, state) => world.clientCompleted(state, client, count),
  };
}

/** The client has an operation outstanding (invoked, not yet answered). */
export function clientBusy(client: Address): NamedPredicate {
  return {
    name: `${client} waits for an answer`,
    test: (world, state) => world.clientBusy(state, client),
  };
}
