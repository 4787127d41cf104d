// What became of each message of the bad-input campaign, from the copies in
// `<c>.rejected` and `<c>.lost` and the events the observer saw. Anything that
// should have been rejected, dead-lettered or skipped and was not is
// "unaccounted" and fails the run.
import type { Address } from "../schemas/address.js";
import type { ChaosCluster } from "./cluster.js";
import type { GarbageExpectation, GarbageItem } from "./garbage.js";

/** A control command sent this close to a node's outage may have been missed by it. */
const outageMarginBeforeMs = 1_000;
const outageMarginAfterMs = 1_000;
/** Examples kept of each kind of discrepancy. */
const examplesMax = 10;

export interface GarbageDiscrepancy {
  id: number;
  kind: string;
  target: string | null;
  problem: string;
}

export interface GarbageReport {
  sent: number;
  bytes: number;
  notSent: number;
  byExpectation: Record<GarbageExpectation, number>;
  byKind: Record<string, number>;
  /** Invalid input to a node, rejected by it with a reason. */
  rejected: number;
  /** Copies of the same message rejected twice (a redelivery after a connection kill). */
  duplicateRejections: number;
  /** Invalid input to a node that expired or was refused into `<c>.lost` instead (the node was down). */
  lostInstead: number;
  /**
   * Invalid input to a node that was not there to take it (`--reconfigure`):
   * one not started yet (no queue: the default exchange drops it) or retired
   * (its queue is read by nobody until the run deletes it).
   */
  toAbsentNodes: number;
  /** Well-formed hostile messages delivered and refused by the protocol (not rejected at the boundary). */
  refusedByProtocol: number;
  /** Well-formed hostile messages for a crashed node, dead-lettered into `<c>.lost`. */
  refusedWhileCrashed: number;
  /** Invalid control commands: rejections by cluster nodes, expected and seen. */
  controlRejectionsExpected: number;
  controlRejections: number;
  /** Control commands a node missed while its process or connection was down. */
  controlMissedWhileDown: number;
  /** Rejections of control commands by the load's client actors (they come and go). */
  controlRejectionsByClients: number;
  /** Well-formed commands for unknown nodes: ignored by every host. */
  ignoredControl: number;
  /** To the load's clients: rejected, or dead-lettered, or gone with a retired client's queue. */
  toClients: { sent: number; rejected: number; refused: number; lost: number; goneWithTheirQueue: number };
  /** Ended in `<c>.lost` as expected (unroutable, dropped, sent there). */
  lost: number;
  inRejected: number;
  invalidEventsSkipped: number;
  /** Rejections that gave no reason or another reason than expected. */
  reasonMismatches: number;
  /** Per node: rejected events published and copies in `<c>.rejected` (they go out together). */
  rejectedEventsByNode: Record<string, number>;
  rejectedCopiesByNode: Record<string, number>;
  /** Failures: not found where they had to be, or rejected though valid. */
  unaccounted: number;
  examples: GarbageDiscrepancy[];
}

export function accountGarbage(
  sent: readonly GarbageItem[],
  notSent: number,
  cluster: ChaosCluster,
): GarbageReport {
  const observer = cluster.observer;
  const nodes = cluster.addresses;
  const report: GarbageReport = {
    sent: sent.length,
    bytes: sent.reduce((sum, item) => sum + item.bytes, 0),
    notSent,
    byExpectation: {
      rejected: 0,
      refused: 0,
      rejectedByAll: 0,
      ignoredByAll: 0,
      lost: 0,
      inRejected: 0,
      invalidEvent: 0,
    },
    byKind: {},
    rejected: 0,
    duplicateRejections: 0,
    lostInstead: 0,
    toAbsentNodes: 0,
    refusedByProtocol: 0,
    refusedWhileCrashed: 0,
    controlRejectionsExpected: 0,
    controlRejections: 0,
    controlMissedWhileDown: 0,
    controlRejectionsByClients: 0,
    ignoredControl: 0,
    toClients: { sent: 0, rejected: 0, refused: 0, lost: 0, goneWithTheirQueue: 0 },
    lost: 0,
    inRejected: 0,
    invalidEventsSkipped: 0,
    reasonMismatches: 0,
    rejectedEventsByNode: {},
    rejectedCopiesByNode: Object.fromEntries(observer.rejectedByNode),
    unaccounted: 0,
    examples: [],
  };
  const problem = (item: GarbageItem, text: string, countsAsFailure: boolean): void => {
    if (countsAsFailure) report.unaccounted += 1;
    if (report.examples.length < examplesMax) {
      report.examples.push({ id: item.id, kind: item.kind, target: item.target, problem: text });
    }
  };
  const outages = cluster.outages.map((outage) => ({ ...outage, endMs: cluster.outageEndMs(outage) }));
  const during = (atMs: number, outage: (typeof outages)[number]): boolean =>
    atMs >= outage.startMs - outageMarginBeforeMs && atMs <= outage.endMs + outageMarginAfterMs;
  const wasDown = (node: Address, atMs: number): boolean =>
    outages.some((outage) => outage.node === node && during(atMs, outage));
  const wasAbsent = (node: Address | null, atMs: number): boolean =>
    outages.some(
      (outage) =>
        outage.node === node &&
        (outage.kind === "not started" || outage.kind === "retired") &&
        during(atMs, outage),
    );

  for (const item of sent) {
    report.byExpectation[item.expect] += 1;
    report.byKind[item.kind] = (report.byKind[item.kind] ?? 0) + 1;
    const copies = observer.garbageRejected.get(item.id) ?? [];
    const lost = observer.garbageInLost.get(item.id);
    const target = item.target;
    const checkReason = (reason: string): void => {
      if (reason === "" || (item.reasonStart !== null && !reason.startsWith(item.reasonStart))) {
        report.reasonMismatches += 1;
        problem(item, `rejected with reason ${JSON.stringify(reason.slice(0, 80))}`, reason === "");
      }
    };
    const isClient = target !== null && target.startsWith("client-");
    switch (item.expect) {
      case "rejected": {
        const own = copies.filter((copy) => copy.node === target);
        if (isClient) {
          report.toClients.sent += 1;
          if (own.length > 0) report.toClients.rejected += 1;
          else if (lost !== undefined) report.toClients.lost += 1;
          else report.toClients.goneWithTheirQueue += 1;
          break;
        }
        if (own.length > 0) {
          report.rejected += 1;
          report.duplicateRejections += own.length - 1;
          for (const copy of own) checkReason(copy.reason);
        } else if (lost !== undefined) {
          report.lostInstead += 1;
        } else if (wasAbsent(target, item.sentAtMs)) {
          report.toAbsentNodes += 1;
        } else {
          problem(item, `not rejected by ${target ?? "?"} and not in <c>.lost`, true);
        }
        if (copies.length > own.length)
          problem(item, "rejected by another node than the one it was sent to", true);
        break;
      }
      case "refused": {
        if (isClient) {
          report.toClients.sent += 1;
          if (lost !== undefined) report.toClients.lost += 1;
          else if (copies.length === 0) report.toClients.refused += 1;
        }
        if (copies.length > 0) {
          problem(
            item,
            `well-formed, yet rejected at the boundary: ${copies[0]?.reason.slice(0, 120) ?? ""}`,
            true,
          );
        } else if (lost !== undefined) {
          if (!isClient) report.refusedWhileCrashed += 1;
        } else if (!isClient) {
          report.refusedByProtocol += 1;
        }
        break;
      }
      case "rejectedByAll": {
        for (const node of nodes) {
          const own = copies.filter((copy) => copy.node === node);
          if (own.length === 0 && wasAbsent(node, item.sentAtMs)) continue; // not there yet, or no more
          report.controlRejectionsExpected += 1;
          if (own.length > 0) {
            report.controlRejections += 1;
            for (const copy of own) checkReason(copy.reason);
          } else if (wasDown(node, item.sentAtMs)) {
            report.controlMissedWhileDown += 1;
          } else {
            problem(item, `control command not rejected by ${node}`, true);
          }
        }
        report.controlRejectionsByClients += copies.filter((copy) => copy.node.startsWith("client-")).length;
        break;
      }
      case "ignoredByAll": {
        report.ignoredControl += 1;
        if (copies.length > 0)
          problem(item, `well-formed command rejected by ${copies[0]?.node ?? "?"}`, true);
        break;
      }
      case "lost": {
        if (lost !== undefined) report.lost += 1;
        else problem(item, "not found in <c>.lost", true);
        break;
      }
      case "inRejected": {
        if (copies.some((copy) => copy.node === "")) report.inRejected += 1;
        else problem(item, "not found in <c>.rejected", true);
        break;
      }
      case "invalidEvent": {
        if ((observer.garbageInEvents.get(item.id) ?? 0) > 0) report.invalidEventsSkipped += 1;
        else problem(item, "not seen (as invalid) on <c>.events", true);
        break;
      }
    }
  }
  for (const event of observer.events) {
    if (event.type !== "rejected") continue;
    report.rejectedEventsByNode[event.node] = (report.rejectedEventsByNode[event.node] ?? 0) + 1;
  }
  return report;
}
