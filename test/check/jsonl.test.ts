// History files written and read a line at a time (src/check/jsonl.ts): the
// same events come back as parseHistoryText gives, whatever the line endings,
// and lines longer than a read chunk (1 MiB) survive whole.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HistoryRecorder, parseHistoryText, readHistoryFile } from "../../src/check/index.js";
import { forEachFileLine, writeJsonlFile } from "../../src/check/jsonl.js";

const directory = mkdtempSync(path.join(tmpdir(), "pbkv-jsonl-"));

function lines(file: string): [string, number][] {
  const seen: [string, number][] = [];
  forEachFileLine(file, (text, line) => seen.push([text, line]));
  return seen;
}

describe("history files line by line", () => {
  it("reads LF, CRLF, a last line without an ending, and empty lines, numbering every line", () => {
    const file = path.join(directory, "endings.txt");
    writeFileSync(file, "a\r\nb\n\nc");
    expect(lines(file)).toEqual([
      ["a", 1],
      ["b", 2],
      ["", 3],
      ["c", 4],
    ]);
  });

  it("keeps a line longer than a read chunk whole, and multi-byte characters across chunk edges", () => {
    const file = path.join(directory, "long.txt");
    const long = "é".repeat(1_500_000); // 3 MB of two-byte characters
    writeFileSync(file, `short\n${long}\nend\n`);
    const seen = lines(file);
    expect(seen.map(([text]) => text.length)).toEqual([5, long.length, 3]);
    expect(seen[1]?.[0] === long).toBe(true);
  });

  it("writes what the recorder recorded, and reads it back as parseHistoryText does", () => {
    let now = 0;
    const recorder = new HistoryRecorder(() => (now += 10));
    const big = "x".repeat(2_000_000);
    const put = recorder.invoke(1, "put", "k", big);
    recorder.ok(put);
    const get = recorder.invoke(2, "get", "k");
    recorder.ok(get, big);
    const file = path.join(directory, "history.jsonl");
    recorder.writeJsonl(file);
    expect(readFileSync(file, "utf8")).toBe(recorder.toJsonl());
    const fromFile = readHistoryFile(file);
    expect(fromFile).toEqual(parseHistoryText(recorder.toJsonl()));
    expect(fromFile.events).toHaveLength(4);
  });

  it("writes an empty history as an empty file", () => {
    const file = path.join(directory, "empty.jsonl");
    writeJsonlFile(file, []);
    expect(readFileSync(file, "utf8")).toBe("");
    expect(readHistoryFile(file).events).toEqual([]);
  });

  it("names the line of a bad event, and reads past a byte-order mark", () => {
    const file = path.join(directory, "bad.jsonl");
    writeFileSync(file, '\uFEFF{"type":"invoke","process":1,"f":"get","key":"k","time":1}\nnot json\n');
    expect(() => readHistoryFile(file)).toThrow(/line 2/);
  });
});
