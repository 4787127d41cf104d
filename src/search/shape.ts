// The guard every protocol's hand-written clones and hashes stand on: a
// state with a field they do not know would be cloned or hashed without it,
// merging states that differ, and the search would miss bugs.

export class UnknownShapeError extends Error {
  override name = "UnknownShapeError";
}

/** Throws UnknownShapeError when `value`'s fields are not exactly `known` (`where` names the files to teach). */
export function assertFields(type: string, known: readonly string[], value: object, where: string): void {
  const actual = Object.keys(value).sort();
  const expected = [...known].sort();
  if (actual.length !== expected.length || actual.some((field, i) => field !== expected[i])) {
    throw new UnknownShapeError(
      `${type} has fields [${actual.join(", ")}] but ${where} know [${expected.join(", ")}]: teach them the new fields`,
    );
  }
}
