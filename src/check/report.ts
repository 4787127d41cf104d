// Text forms of operations and verdicts: one deterministic description shared
// by the CLI, tests and any caller that logs a counterexample.
import type { CheckResult, Violation } from "./check.js";
import type { Operation } from "./prepare.js";

/** How many ops of the longest partial linearization the text report shows (the last ones). */
export const reportLinearizedTailMax = 8;
/** Longer register values are shown by their end, where appends land. */
export const reportValueCharsMax = 400;

/** e.g. `#12 p3 append "x 3 7 y" [1200345, 1201011] line 5` or `#4 p4 get → "" [10, ∞) info line 9`. */
export function describeOperation(operation: Operation): string {
  const value = showValue(operation.value);
  const what = operation.f === "get" ? `get → ${value}` : `${operation.f} ${value}`;
  const interval =
    operation.return === Infinity
      ? `[${operation.call}, ∞) ${operation.status}`
      : `[${operation.call}, ${operation.return}]`;
  const completed = operation.completeLine === null ? "never completed" : `line ${operation.completeLine}`;
  const where =
    operation.status === "info"
      ? `line ${operation.invokeLine}, ${completed}`
      : `line ${operation.invokeLine}`;
  return `#${operation.id} p${operation.process} ${what} ${interval} ${where}`;
}

/** The verdict as text for people: one line when linearizable, the counterexample otherwise. */
export function formatCheckResult(result: CheckResult): string {
  const figures =
    `${result.ops} ops on ${result.keys} keys` +
    (result.opsDropped > 0 ? ` (${result.opsDropped} dropped: failed, or gets of unknown outcome)` : "") +
    `, ${result.elapsedMs} ms`;
  switch (result.result) {
    case "ok":
      return `linearizable: ${figures}`;
    case "unknown":
      return [
        `unknown: gave up, ${result.reason} (${figures})`,
        `keys not finished: ${result.keysUnfinished.map((key) => JSON.stringify(key)).join(", ")}`,
      ].join("\n");
    case "violation":
      return [
        `NOT linearizable: key ${JSON.stringify(result.violation.key)} (${figures})`,
        ...formatViolation(result.violation),
      ].join("\n");
  }
}

function formatViolation(violation: Violation): string[] {
  const count = violation.linearized.length;
  const shown = violation.linearized.slice(-reportLinearizedTailMax);
  const lines: string[] = [];
  if (count === 0) {
    lines.push("No op of this key can be linearized first.");
  } else {
    const tail = count > shown.length ? `; its last ${shown.length}` : "";
    lines.push(`The longest partial linearization orders ${count} ops${tail}:`);
    shown.forEach((operation, index) =>
      lines.push(`  ${count - shown.length + index + 1}. ${describeOperation(operation)}`),
    );
  }
  lines.push(`State after it: ${showValue(violation.state)}`);
  lines.push("None of these can come next:");
  for (const operation of violation.ops) lines.push(`  ${describeOperation(operation)}`);
  return lines;
}

function showValue(value: string): string {
  if (value.length <= reportValueCharsMax) return JSON.stringify(value);
  return `…${JSON.stringify(value.slice(-reportValueCharsMax))} (${value.length} chars)`;
}
