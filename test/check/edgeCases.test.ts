// Small histories whose verdict is known by hand: each names the anomaly it
// shows, so a checker regression points at the rule it broke.
import { describe, expect, it } from "vitest";
import { checkHistory, type CheckResult } from "../../src/check/index.js";
import type { HistoryEvent } from "../../src/schemas/history.js";
import { hardOps, historyOf, type OpSpec } from "./helpers.js";

function verdict(ops: readonly OpSpec[]): CheckResult["result"] {
  return checkHistory(historyOf(ops)).result;
}

describe("register semantics", () => {
  it("a missing key reads the empty string", () => {
    expect(verdict([{ process: 0, f: "get", value: "", call: 0, end: 1 }])).toBe("ok");
    expect(verdict([{ process: 0, f: "get", value: "x", call: 0, end: 1 }])).toBe("violation");
  });

  it("an empty history is linearizable", () => {
    expect(checkHistory([])).toMatchObject({ result: "ok", keys: 0, ops: 0 });
  });

  it("put replaces and append extends", () => {
    const ops: OpSpec[] = [
      { process: 0, f: "append", value: "a", call: 0, end: 1 },
      { process: 0, f: "append", value: "b", call: 2, end: 3 },
      { process: 0, f: "get", value: "ab", call: 4, end: 5 },
      { process: 0, f: "put", value: "c", call: 6, end: 7 },
      { process: 0, f: "append", value: "d", call: 8, end: 9 },
      { process: 0, f: "get", value: "cd", call: 10, end: 11 },
    ];
    expect(verdict(ops)).toBe("ok");
  });
});

describe("anomalies", () => {
  it("stale read: a read after a completed write returns the older value", () => {
    const ops: OpSpec[] = [
      { process: 0, f: "put", value: "1", call: 0, end: 1 },
      { process: 0, f: "put", value: "2", call: 2, end: 3 },
      { process: 1, f: "get", value: "1", call: 4, end: 5 },
    ];
    expect(verdict(ops)).toBe("violation");
  });

  it("new then old: once a concurrent write is seen, a later read cannot miss it", () => {
    const write: OpSpec = { process: 0, f: "put", value: "1", call: 0, end: 10 };
    const newThenOld: OpSpec[] = [
      write,
      { process: 1, f: "get", value: "1", call: 1, end: 2 },
      { process: 1, f: "get", value: "", call: 3, end: 4 },
    ];
    const oldThenNew: OpSpec[] = [
      write,
      { process: 1, f: "get", value: "", call: 1, end: 2 },
      { process: 1, f: "get", value: "1", call: 3, end: 4 },
    ];
    expect(verdict(newThenOld)).toBe("violation");
    expect(verdict(oldThenNew)).toBe("ok");
  });

  it("duplicate append: one append applied twice", () => {
    const ops: OpSpec[] = [
      { process: 0, f: "append", value: "a", call: 0, end: 1 },
      { process: 1, f: "get", value: "aa", call: 2, end: 3 },
    ];
    expect(verdict(ops)).toBe("violation");
  });

  it("lost append: an acknowledged append missing from a later read", () => {
    const ops: OpSpec[] = [
      { process: 0, f: "append", value: "a", call: 0, end: 1 },
      { process: 1, f: "append", value: "b", call: 2, end: 3 },
      { process: 2, f: "get", value: "b", call: 4, end: 5 },
    ];
    expect(verdict(ops)).toBe("violation");
  });

  it("reordered appends: non-overlapping appends read in the wrong order", () => {
    const ops = (firstEnd: number): OpSpec[] => [
      { process: 0, f: "append", value: "a", call: 0, end: firstEnd },
      { process: 1, f: "append", value: "b", call: 2, end: 3 },
      { process: 2, f: "get", value: "ba", call: 6, end: 7 },
    ];
    expect(verdict(ops(1))).toBe("violation");
    // The same read is fine when the appends overlap.
    expect(verdict(ops(4))).toBe("ok");
  });

  it("a failed write never happened, so reading it is a violation", () => {
    const ops: OpSpec[] = [
      { process: 0, f: "put", value: "x", call: 0, end: "fail" },
      { process: 1, f: "get", value: "x", call: 5, end: 6 },
    ];
    expect(verdict(ops)).toBe("violation");
    expect(checkHistory(historyOf(ops)).opsDropped).toBe(1);
  });
});

describe("unknown outcomes (info and never completed)", () => {
  for (const end of ["info", "pending"] as const) {
    it(`a write ending ${end} may be observed or not`, () => {
      const write: OpSpec = { process: 0, f: "put", value: "x", call: 0, end };
      const read = (value: string, call: number): OpSpec => ({
        process: 1,
        f: "get",
        value,
        call,
        end: call + 1,
      });
      expect(verdict([write, read("x", 5)])).toBe("ok");
      expect(verdict([write, read("", 5)])).toBe("ok");
      // It may take effect late: between two reads, long after the info.
      expect(verdict([write, read("", 5), read("x", 7)])).toBe("ok");
      // But once observed, it cannot be undone.
      expect(verdict([write, read("x", 5), read("", 7)])).toBe("violation");
    });
  }

  it("an info write cannot take effect before its invoke", () => {
    const ops: OpSpec[] = [
      { process: 1, f: "get", value: "x", call: 0, end: 1 },
      { process: 0, f: "put", value: "x", call: 5, end: "info" },
    ];
    expect(verdict(ops)).toBe("violation");
  });

  it("an info append takes effect at most once", () => {
    const ops: OpSpec[] = [
      { process: 0, f: "append", value: "a", call: 0, end: "info" },
      { process: 1, f: "get", value: "a", call: 5, end: 6 },
      { process: 1, f: "get", value: "aa", call: 7, end: 8 },
    ];
    expect(verdict(ops)).toBe("violation");
  });

  it("a get of unknown outcome constrains nothing", () => {
    const ops: OpSpec[] = [
      { process: 0, f: "put", value: "1", call: 0, end: 1 },
      { process: 1, f: "get", value: "never", call: 2, end: "info" },
      { process: 2, f: "get", call: 2, end: "pending" },
    ];
    const result = checkHistory(historyOf(ops));
    expect(result).toMatchObject({ result: "ok", ops: 1, opsDropped: 2 });
  });
});

describe("time", () => {
  it("touching intervals are concurrent: calls come before returns at equal times", () => {
    const ops = (readCall: number): OpSpec[] => [
      { process: 0, f: "put", value: "1", call: 0, end: 5 },
      { process: 1, f: "get", value: "", call: readCall, end: readCall + 1 },
    ];
    expect(verdict(ops(5))).toBe("ok");
    expect(verdict(ops(6))).toBe("violation");
  });

  it("without times, line order is time", () => {
    const events: HistoryEvent[] = [
      { type: "invoke", process: 0, f: "put", key: "k", value: "1" },
      { type: "ok", process: 0, f: "put", key: "k", value: "1" },
      { type: "invoke", process: 1, f: "get", key: "k" },
      { type: "ok", process: 1, f: "get", key: "k", value: "" },
    ];
    expect(checkHistory(events).result).toBe("violation");
    // Reading "" is fine when the read started before the write returned.
    const concurrent = [events[0]!, events[2]!, events[1]!, events[3]!];
    expect(checkHistory(concurrent).result).toBe("ok");
  });
});

describe("several keys", () => {
  it("finds the one bad key among 50 and reports it", () => {
    const ops: OpSpec[] = [];
    for (let key = 0; key < 50; key++) {
      const process = key * 2;
      ops.push({ process, key: `k${key}`, f: "put", value: `v${key}`, call: 10 * key, end: 10 * key + 2 });
      const read = key === 37 ? "" : `v${key}`;
      ops.push({
        process: process + 1,
        key: `k${key}`,
        f: "get",
        value: read,
        call: 10 * key + 3,
        end: 10 * key + 4,
      });
    }
    const result = checkHistory(historyOf(ops));
    expect(result.result).toBe("violation");
    if (result.result !== "violation") return;
    expect(result).toMatchObject({ keys: 50, ops: 100 });
    expect(result.violation.key).toBe("k37");
    expect(result.violation.state).toBe("v37");
    expect(result.violation.ops.map((op) => [op.f, op.value, op.call, op.return])).toEqual([
      ["get", "", 373, 374],
    ]);
  });

  it("one hard key does not hide an easy violation in another", () => {
    // The hard key comes first: a checker taking keys one by one would never reach the easy one.
    const ops = hardOps("hard");
    ops.push({ process: 21, key: "easy", f: "put", value: "1", call: 300, end: 301 });
    ops.push({ process: 22, key: "easy", f: "get", value: "", call: 302, end: 303 });
    const result = checkHistory(historyOf(ops), { budgetMs: 20_000 });
    expect(result.result).toBe("violation");
    if (result.result === "violation") expect(result.violation.key).toBe("easy");
  });
});

describe("giving up", () => {
  it("a budget that runs out gives unknown, never ok", () => {
    const result = checkHistory(historyOf(hardOps()), { budgetMs: 50 });
    expect(result).toMatchObject({ result: "unknown", keysUnfinished: ["k"] });
  });

  it("a budget of zero gives up before searching", () => {
    const result = checkHistory(historyOf([{ process: 0, f: "put", value: "1", call: 0, end: 1 }]), {
      budgetMs: 0,
    });
    expect(result.result).toBe("unknown");
  });

  it("a memory bound gives unknown", () => {
    const result = checkHistory(historyOf(hardOps()), { memoryBytesMax: 2_000_000, sliceSteps: 1000 });
    expect(result.result).toBe("unknown");
    if (result.result === "unknown") expect(result.reason).toMatch(/memory bound/);
  });
});
