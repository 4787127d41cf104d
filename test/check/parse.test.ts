// Reading histories in the library: line numbers count blank lines, errors
// are typed, and the HTML page renders what was checked.
import { describe, expect, it } from "vitest";
import {
  checkHistory,
  HistoryFileError,
  HistoryFormatError,
  parseHistoryText,
  readHistoryFile,
  renderHtml,
} from "../../src/check/index.js";
import { parseHistoryEvent } from "../../src/schemas/history.js";
import { historyOf } from "./helpers.js";

const text = [
  '{"type":"invoke","process":0,"f":"put","key":"k","value":"1","time":0}',
  "",
  '{"type":"ok","process":0,"f":"put","key":"k","value":"1","time":5}',
  "   ",
  '{"type":"invoke","process":1,"f":"get","key":"k","time":6}',
  '{"type":"ok","process":1,"f":"get","key":"k","value":"","time":7}',
].join("\r\n");

describe("parseHistoryText", () => {
  it("skips blank lines and keeps each event's line", () => {
    const parsed = parseHistoryText(text);
    expect(parsed.events).toHaveLength(4);
    expect(parsed.lines).toEqual([1, 3, 5, 6]);
  });

  it("reports violations with the file's lines", () => {
    const parsed = parseHistoryText(text);
    const result = checkHistory(parsed.events, { lines: parsed.lines });
    expect(result.result).toBe("violation");
    if (result.result !== "violation") return;
    expect(result.violation.ops).toMatchObject([{ f: "get", value: "", invokeLine: 5, completeLine: 6 }]);
    expect(result.violation.linearized).toMatchObject([
      { f: "put", value: "1", invokeLine: 1, completeLine: 3 },
    ]);
    expect(result.violation.state).toBe("1");
  });

  it("throws a HistoryFormatError naming the line", () => {
    const broken = text.replace('"f":"get","key":"k","value"', '"f":"put","key":"k","value"');
    expect(() => parseHistoryText(broken)).toThrow(HistoryFormatError);
    expect(() => parseHistoryText(broken)).toThrow(
      /^line 6: ok is put on key "k" but its invoke \(line 5\) is get/,
    );
  });

  it("checks pairing in memory too, counting events from 1", () => {
    const events = historyOf([{ process: 0, f: "get", value: "", call: 0, end: 1 }]);
    expect(() => checkHistory([events[1]!, events[0]!])).toThrow(
      /^line 1: ok for process 0 without an outstanding invoke/,
    );
  });

  it("throws a HistoryFileError for a missing file", () => {
    expect(() => readHistoryFile("/no/such/history.jsonl")).toThrow(HistoryFileError);
    expect(() => readHistoryFile("/no/such/history.jsonl")).toThrow(/no such file/);
  });

  it("folds zod's readable errors onto one line", () => {
    const parsed = parseHistoryEvent({ type: "invoke", process: 1, f: "cas", key: 3 });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).not.toContain("\n");
      expect(parsed.error).toMatch(/at f/);
      expect(parsed.error).toMatch(/at key/);
    }
  });
});

describe("renderHtml", () => {
  it("draws every op and numbers the longest partial linearization", () => {
    const parsed = parseHistoryText(text);
    const result = checkHistory(parsed.events, { lines: parsed.lines });
    const page = renderHtml(parsed.events, result, { lines: parsed.lines, title: "t<1>" });
    expect(page).toContain("<title>t&#60;1&#62;: violation</title>");
    expect(page.match(/<rect /g)).toHaveLength(2);
    expect(page).toMatch(/class="order">1(: w 1)?</);
    expect(page).toContain('class="get frontier"');
  });

  it("draws info ops to the right edge, dashed", () => {
    const events = historyOf([
      { process: 0, f: "append", value: "a", call: 0, end: "info" },
      { process: 1, f: "get", value: "a", call: 2, end: 3 },
    ]);
    const page = renderHtml(events, checkHistory(events));
    expect(page).toContain('class="append info"');
    expect(page).toMatch(/linearizable/);
  });
});
