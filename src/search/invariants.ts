import { executeOp } from "../kv/store.js";
import { describeOp, type Op } from "../schemas/op.js";
import type { AnyProtocol } from "../protocols/protocol.js";

// The safety properties the model checker holds every protocol to (issue 5
// §2), as pure functions so that the search, the minimizer and the replayer
// share them, besides the protocol's own cluster invariants and step rules.

export const genericInvariantNames = [
  /** An actor's own assertion failed, or its handler threw. */
  "actor",
  /** A client saw a result no sequential order of the operations explains. */
  "linearizable",
  /** Two servers answered clients as primary in the same view (src/sim/served.ts). */
  "onePrimaryPerView",
  /** After the faults stopped, the goal could no longer be reached. */
  "liveness",
] as const;

/** A generic invariant's name, or one of the protocol's cluster invariants or step rules. */
export type InvariantName = string;

/** Every invariant the search checks for `protocol` (pb adds backupConsistent, viewRules, pairedAcks). */
export function invariantNamesOf(protocol: AnyProtocol): string[] {
  const own = [...protocol.clusterInvariants, ...protocol.search.stepRules].map((rule) => rule.name);
  return [...genericInvariantNames.slice(0, 3), ...own, "liveness"];
}

export interface Violation {
  invariant: InvariantName;
  message: string;
}

/** What each of one client's operations must return when no one else touches its keys. */
export function expectedResults(ops: readonly Op[]): string[] {
  const store = new Map<string, string>();
  return ops.map((op) => describeResult(executeOp(store, op)));
}

/** A result as the checker compares it: the value, or the refusal in parentheses. */
export function describeResult(result: { ok: true; value: string } | { ok: false; error: string }): string {
  return result.ok ? result.value : `(${result.error})`;
}

export function describeWrongResult(client: string, op: Op, value: string, expected: string): string {
  return `${client} ${describeOp(op)} returned ${JSON.stringify(value)} but the sequential order of its own completed operations implies ${JSON.stringify(expected)}`;
}
