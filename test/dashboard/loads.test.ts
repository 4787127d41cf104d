// Figures of a load history (src/dashboard/loads.ts): what the dashboard
// shows next to the checker's verdict.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/check/index.js";
import { summarizeHistory } from "../../src/dashboard/loads.js";

const ms = 1_000_000;

describe("summarizeHistory", () => {
  it("counts outcomes and measures rate and latency from the nanosecond times", () => {
    const events: HistoryEvent[] = [
      { type: "invoke", process: 0, f: "put", key: "a", value: "1", time: 0 },
      { type: "invoke", process: 1, f: "get", key: "a", time: 1 * ms },
      { type: "ok", process: 0, f: "put", key: "a", value: "1", time: 10 * ms },
      { type: "ok", process: 1, f: "get", key: "a", value: "1", time: 21 * ms },
      { type: "invoke", process: 0, f: "append", key: "a", value: "x", time: 30 * ms },
      { type: "info", process: 0, f: "append", key: "a", value: "x", time: 1_000 * ms },
      { type: "invoke", process: 2, f: "get", key: "a", time: 1_000 * ms },
      { type: "fail", process: 2, f: "get", key: "a", time: 1_000 * ms },
    ];
    expect(summarizeHistory(events)).toEqual({
      ops: 4,
      ok: 2,
      info: 1,
      fail: 1,
      durationS: 1,
      opsPerSecond: 2,
      latencyP50Ms: 10,
      latencyP99Ms: 20,
    });
  });

  it("has no rate or latency without times", () => {
    const events: HistoryEvent[] = [
      { type: "invoke", process: 0, f: "get", key: "a" },
      { type: "ok", process: 0, f: "get", key: "a", value: "" },
    ];
    expect(summarizeHistory(events)).toMatchObject({ ops: 1, ok: 1, durationS: null, latencyP50Ms: null });
  });
});
