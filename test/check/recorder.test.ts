// HistoryRecorder writes what the checker reads (DESIGN §7): one outstanding
// op per process, a fresh process after an info, times from the given clock.
import { describe, expect, it } from "vitest";
import { checkHistory, HistoryRecorder, parseHistoryText } from "../../src/check/index.js";

describe("HistoryRecorder", () => {
  it("records invoke and completion events with the clock's time", () => {
    let nowNs = 100;
    const recorder = new HistoryRecorder(() => nowNs);
    const put = recorder.invoke("c1", "put", "k", "v");
    nowNs = 150;
    const get = recorder.invoke("c2", "get", "k");
    nowNs = 200;
    recorder.ok(put);
    nowNs = 250;
    recorder.ok(get, "v");
    expect(recorder.events()).toEqual([
      { type: "invoke", process: 0, f: "put", key: "k", value: "v", time: 100 },
      { type: "invoke", process: 1, f: "get", key: "k", time: 150 },
      { type: "ok", process: 0, f: "put", key: "k", value: "v", time: 200 },
      { type: "ok", process: 1, f: "get", key: "k", value: "v", time: 250 },
    ]);
    expect(recorder.outstandingCount).toBe(0);
  });

  it("moves a client to a new process after an info, not after a fail", () => {
    const recorder = new HistoryRecorder();
    recorder.fail(recorder.invoke("a", "append", "k", "x"));
    recorder.info(recorder.invoke("a", "append", "k", "y"));
    recorder.ok(recorder.invoke("b", "get", "k"), "y");
    recorder.ok(recorder.invoke("a", "append", "k", "z"));
    const processes = recorder.events().map((event) => [event.type, event.process]);
    expect(processes).toEqual([
      ["invoke", 0],
      ["fail", 0],
      ["invoke", 0],
      ["info", 0],
      ["invoke", 1],
      ["ok", 1],
      ["invoke", 2],
      ["ok", 2],
    ]);
    expect(recorder.events().every((event) => event.time === undefined)).toBe(true);
  });

  it("writes JSONL the checker reads back", () => {
    let nowNs = 0;
    const recorder = new HistoryRecorder(() => (nowNs += 10));
    recorder.ok(recorder.invoke(1, "append", "k", "a"));
    recorder.ok(recorder.invoke(1, "get", "k"), "a");
    const pending = recorder.invoke(2, "put", "k", "b");
    expect(recorder.outstandingCount).toBe(1);
    const parsed = parseHistoryText(recorder.toJsonl());
    expect(parsed.events).toEqual(recorder.events());
    expect(parsed.lines).toEqual([1, 2, 3, 4, 5]);
    expect(checkHistory(parsed.events).result).toBe("ok");
    recorder.info(pending);
    expect(recorder.toJsonl().split("\n")).toHaveLength(7);
  });

  it("refuses what cannot be a history", () => {
    const recorder = new HistoryRecorder(() => 1);
    const op = recorder.invoke("c", "get", "k");
    expect(() => recorder.invoke("c", "get", "k")).toThrow(/one outstanding op/);
    expect(() => recorder.ok(op)).toThrow(/value read/);
    recorder.ok(op, "");
    expect(() => recorder.ok(op, "")).toThrow(/outstanding/);
    expect(() => recorder.invoke("c", "put", "k")).toThrow(/needs a value/);
    expect(() => new HistoryRecorder(() => 1.5).invoke("c", "get", "k")).toThrow(/integer/);
    let nowNs = 10;
    const backwards = new HistoryRecorder(() => nowNs--);
    backwards.invoke("c", "get", "k");
    expect(() => backwards.invoke("d", "get", "k")).toThrow(/monotonic/);
  });
});
