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
