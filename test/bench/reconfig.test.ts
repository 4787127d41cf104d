// The reconfiguration rounds' arithmetic (src/bench/reconfig.ts), from the
// clients' operations alone: the pause counts every operation answered from
// the request on (a timed-out one too, and one sent after the epoch ran: a
// disruption it brings), the wait at the request only those outstanding
// then; the longest stretch without an answer; ops/s before, during and
// after. And the report's lines for it.
import { describe, expect, it } from "vitest";
import type { OpSample } from "../../src/bench/closedLoop.js";
import { pauseFigures } from "../../src/bench/reconfig.js";
import { formatReconfiguration } from "../../src/bench/report.js";
import { ReconfigurationReport, type ReconfigurationRound } from "../../src/schemas/bench.js";

const op = (invokedMs: number, completedMs: number, ok = true): OpSample => ({
  worker: 0,
  invokedMs,
  completedMs,
  ok,
  read: true,
});

describe("reconfiguration figures", () => {
  it("the pause, the wait at the request, the longest silence and the throughput dip", () => {
    const steady = Array.from({ length: 10 }, (_, i) => op(500 + 50 * i, 510 + 50 * i)); // 10 in 500 ms
    const samples = [
      ...steady,
      op(990, 1005), // outstanding at the request, answered by the old epoch
      op(995, 1120), // outstanding at the request, answered in the new epoch
      op(1010, 1150), // sent once the old epoch took no more
      op(1050, 1250, false), // timed out: clients waited for it all the same
      op(1200, 1205),
      op(1210, 1460), // after the epoch ran, and slow: the longest wait
      op(1295, 1300),
      op(1395, 1400),
      op(1495, 1500),
    ];
    expect(pauseFigures(samples, { requestedMs: 1000, runningMs: 1100, steadyMs: 500 })).toEqual({
      pauseMs: 250,
      requestWaitMs: 125,
      silenceMs: 115, // from 1005 to 1120
      opsPerSecBefore: 20,
      opsPerSecDuring: 10, // one answer in 100 ms
      opsPerSecAfter: 14, // seven answers in 500 ms
    });
  });

  it("nothing in flight: no pause, and no throughput in an empty stretch", () => {
    const figures = pauseFigures([op(10, 20)], { requestedMs: 1000, runningMs: 1000, steadyMs: 500 });
    expect(figures).toMatchObject({ pauseMs: 0, requestWaitMs: 0, opsPerSecBefore: 0, opsPerSecDuring: 0 });
  });

  it("prints a row per round: what changed, the epochs, the pause and the dip", () => {
    const round: ReconfigurationRound = {
      kind: "grow",
      epochBefore: 0,
      epochAfter: 1,
      membersBefore: ["server-1", "server-2", "server-3"],
      membersAfter: ["server-1", "server-2", "server-3", "server-4"],
      added: ["server-4"],
      removed: [],
      pauseMs: 113.3,
      requestWaitMs: 20.1,
      silenceMs: 38.2,
      epochAnnouncedMs: 19,
      epochRunningMs: 115,
      opsPerSecBefore: 467,
      opsPerSecDuring: 148,
      opsPerSecAfter: 413,
    };
    const shrink = { ...round, kind: "shrink" as const, epochBefore: 1, epochAfter: 2, added: [] };
    const report = ReconfigurationReport.parse({
      clients: 16,
      pauseMedianMs: 113.3,
      pauseMaxMs: 113.3,
      epochRunningMedianMs: 115,
      epochRunningMaxMs: 115,
      rounds: [round, { ...shrink, removed: ["server-3"], membersBefore: round.membersAfter }],
    });
    const text = formatReconfiguration("vr", report).join("\n");
    expect(text).toMatch(/reconfiguration \(vr\): 2 round\(s\).*16 clients/);
    expect(text).toMatch(/median 113.3 ms, max 113.3 ms/);
    expect(text).toMatch(/1 +grow \+server-4 +0 -> 1 +3 -> 4 +113.3 +20.1 +38.2 +19 +115 +467 \/ 148 \/ 413/);
    expect(text).toMatch(/2 +shrink -server-3 +1 -> 2 +4 -> 4/);
  });
});
