// One primary per view (DESIGN §1): in any view, at most one server answers
// clients as its primary. Actors report each answer with the generic
// `served` event, so this rule is every protocol's that numbers its
// configurations and the drivers check it themselves, the simulator over a
// run and the model checker over each path, with this one function.

/**
 * Records that `node` answered clients as primary of `viewNum`. `served` is
 * [viewNum, node, viewNum, node, …] sorted by viewNum and never changed in
 * place (model-checker states share it). Returns the new list (the same one
 * when nothing changed), or the node that already answered in that view.
 */
export function recordServed(
  served: readonly number[],
  viewNum: number,
  node: number,
): { served: readonly number[] } | { otherNode: number } {
  let i = 0;
  while (i < served.length && served[i]! < viewNum) i += 2;
  if (i < served.length && served[i] === viewNum) {
    return served[i + 1] === node ? { served } : { otherNode: served[i + 1]! };
  }
  return { served: [...served.slice(0, i), viewNum, node, ...served.slice(i)] };
}

/** The violation, in one wording for every driver. */
export function servedTwice(viewNum: number, first: string, second: string): string {
  return `${first} and ${second} both answered clients as primary of view ${viewNum}`;
}
