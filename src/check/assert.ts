/** Stops the program when an invariant of the checker itself is broken. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/**
 * For checks on hot paths whose message is built from values: write
 * `if (!condition) fail(\`…${value}…\`)` so the message (a number formatted,
 * strings joined) is built only when the check fails, not on every call.
 */
export function fail(message: string): never {
  throw new Error(`assertion failed: ${message}`);
}
