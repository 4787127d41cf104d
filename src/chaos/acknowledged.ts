// No acknowledged write is lost: after healing, every key is read through a
// fresh client, and the value read must hold what the acknowledged writes
// put there. Values are unique tokens (`p w n y` for puts, `x w n y` for
// appends), so the final value F of a key cuts back into
//   F = [B] a1 a2 … am
// where B is the value of the last put that took effect (absent when no put
// did) and a1 … am are appends in the order they were applied.
//
// The rule ("present"), for each key:
// 1. Every token in F was written to this key by a put (B only, first) or an
//    append (the rest) that was invoked (ok or info); none appears twice.
// 2. An acknowledged put P is lost unless F starts with P's value or with the
//    value of a put that may have followed it: a put Q with B = Q is only
//    possible if Q did not complete before P was invoked. So when B is absent
//    (no put took effect) or B's put completed before P was invoked, P is lost.
// 3. An acknowledged append A must appear in F unless a put may have
//    overwritten it: if B is absent, or B's put completed before A was invoked
//    (so A took effect after B), A must be in F. When B is a put of unknown
//    outcome (info), it may have taken effect at any time up to the read, so
//    no append is required.
// 4. Appends in F keep real-time order: if A1 completed before A2 was invoked
//    and both are in F, A1 comes first; and no append that completed before
//    B's put was invoked survives in F.
// Rules 1 and 4 are also implied by linearizability (the final reads are in
// the history); rules 2 and 3 are the point: they do not depend on the
// checker finishing, and they name the lost writes.
import { prepareHistory, type Operation } from "../check/index.js";
import type { HistoryEvent } from "../schemas/history.js";

const tokenPattern = /(p|x) (\d+) (\d+) y/g;
const examplesMax = 20;

export interface FinalRead {
  key: string;
  /** The value read, or null when no read succeeded. */
  value: string | null;
}

export interface AcknowledgedWritesReport {
  keys: number;
  /** Acknowledged puts and appends on the keys read. */
  acknowledgedWrites: number;
  /** Acknowledged writes the rule required in the final values. */
  required: number;
  lostAcknowledgedWrites: number;
  /** Other impossibilities in the final values: unknown or repeated tokens, order, unreadable keys. */
  anomalies: number;
  examples: string[];
}

export function checkAcknowledgedWrites(
  events: readonly HistoryEvent[],
  finalReads: readonly FinalRead[],
): AcknowledgedWritesReport {
  const prepared = prepareHistory(events);
  const report: AcknowledgedWritesReport = {
    keys: finalReads.length,
    acknowledgedWrites: 0,
    required: 0,
    lostAcknowledgedWrites: 0,
    anomalies: 0,
    examples: [],
  };
  const note = (text: string): void => {
    if (report.examples.length < examplesMax) report.examples.push(text);
  };
  for (const read of finalReads) {
    const operations = (prepared.keys.get(read.key) ?? []).filter((op) => op.f !== "get");
    report.acknowledgedWrites += operations.filter((op) => op.status === "ok").length;
    if (read.value === null) {
      report.anomalies += 1;
      note(`key ${read.key}: could not be read after healing`);
      continue;
    }
    checkKey(read.key, read.value, operations, report, note);
  }
  return report;
}

function checkKey(
  key: string,
  value: string,
  writes: readonly Operation[],
  report: AcknowledgedWritesReport,
  note: (text: string) => void,
): void {
  const anomaly = (text: string): void => {
    report.anomalies += 1;
    note(`key ${key}: ${text}`);
  };
  const tokens = value.match(tokenPattern) ?? [];
  if (tokens.join("") !== value)
    anomaly(`final value is not made of written tokens: ${JSON.stringify(value.slice(0, 80))}`);
  const byValue = new Map<string, Operation>();
  for (const op of writes) byValue.set(op.value, op);
  const position = new Map<string, number>();
  let base: Operation | null = null;
  tokens.forEach((token, index) => {
    const op = byValue.get(token);
    const expected = index === 0 && token.startsWith("p") ? "put" : "append";
    if (op === undefined || op.f !== expected) {
      anomaly(`${JSON.stringify(token)} at position ${index} was never written by a ${expected} of this key`);
      return;
    }
    if (position.has(token)) anomaly(`${JSON.stringify(token)} appears twice (at-most-once broken)`);
    position.set(token, index);
    if (expected === "put") base = op;
  });
  const basePut = base as Operation | null;
  const lost = (op: Operation, why: string): void => {
    report.lostAcknowledgedWrites += 1;
    note(`key ${key}: acknowledged ${op.f} ${JSON.stringify(op.value)} (process ${op.process}) lost: ${why}`);
  };
  for (const op of writes) {
    if (op.status !== "ok") continue;
    if (op.f === "put") {
      if (op === basePut) {
        report.required += 1;
        continue;
      }
      if (basePut === null) {
        report.required += 1;
        lost(op, "the final value shows no put took effect");
      } else if (basePut.status === "ok" && basePut.return < op.call) {
        report.required += 1;
        lost(
          op,
          `the final value starts with ${JSON.stringify(basePut.value)}, which completed before it was invoked`,
        );
      }
      continue;
    }
    const required = basePut === null || (basePut.status === "ok" && op.call > basePut.return);
    if (!required) continue;
    report.required += 1;
    if (!position.has(op.value)) {
      lost(
        op,
        basePut === null ? "missing from the final value" : `missing after ${JSON.stringify(basePut.value)}`,
      );
    }
  }
  checkOrder(writes, position, basePut, anomaly);
}

/** Rule 4: appends present keep real-time order, and none from before the base put survives. */
function checkOrder(
  writes: readonly Operation[],
  position: ReadonlyMap<string, number>,
  basePut: Operation | null,
  anomaly: (text: string) => void,
): void {
  const present = writes
    .filter((op) => op.f === "append" && position.has(op.value))
    .sort((a, b) => a.call - b.call);
  if (basePut !== null) {
    for (const op of present) {
      if (op.return < basePut.call) {
        anomaly(
          `${JSON.stringify(op.value)} completed before the put ${JSON.stringify(basePut.value)} began, yet survives it`,
        );
      }
    }
  }
  // Each op must come after every op that completed before it was invoked.
  let latestCompletedPosition = -1;
  let latestCompletedValue = "";
  const byReturn = present.filter((op) => op.status === "ok").sort((a, b) => a.return - b.return);
  let next = 0;
  for (const op of present) {
    for (; next < byReturn.length && (byReturn[next]?.return ?? Infinity) < op.call; next++) {
      const done = byReturn[next];
      const donePosition = done === undefined ? -1 : (position.get(done.value) ?? -1);
      if (donePosition > latestCompletedPosition) {
        latestCompletedPosition = donePosition;
        latestCompletedValue = done?.value ?? "";
      }
    }
    const at = position.get(op.value) ?? -1;
    if (at < latestCompletedPosition) {
      anomaly(
        `${JSON.stringify(op.value)} comes before ${JSON.stringify(latestCompletedValue)}, which completed before it was invoked`,
      );
    }
  }
}
