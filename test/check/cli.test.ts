// `npm run check -- FILE` as users run it: a subprocess, judged by its exit
// code (DESIGN §7: 0 linearizable, 1 not, 2 unreadable input, 3 gave up).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hardOps, historiesDirectory, historyOf, runCheckCli, toJsonl, type OpSpec } from "./helpers.js";

const directory = mkdtempSync(path.join(tmpdir(), "pbkv-check-"));

function writeHistory(name: string, text: string): string {
  const file = path.join(directory, name);
  writeFileSync(file, text);
  return file;
}

const invokePut = '{"type":"invoke","process":1,"f":"put","key":"a","value":"x","time":1}';
const okPut = '{"type":"ok","process":1,"f":"put","key":"a","value":"x","time":2}';

/** Each unreadable input, the line to blame, and words the reason must contain. */
const malformed: { name: string; lines: string[]; line: number; reason: RegExp }[] = [
  { name: "invalid JSON", lines: [invokePut, "{not json"], line: 2, reason: /invalid JSON/ },
  { name: "not an object", lines: ["[1,2]"], line: 1, reason: /expected object/ },
  {
    name: "unknown f",
    lines: ['{"type":"invoke","process":1,"f":"cas","key":"a","time":1}'],
    line: 1,
    reason: /at f/,
  },
  {
    name: "unknown type",
    lines: ['{"type":"start","process":1,"f":"get","key":"a","time":1}'],
    line: 1,
    reason: /at type/,
  },
  {
    name: "negative process",
    lines: ['{"type":"invoke","process":-1,"f":"get","key":"a"}'],
    line: 1,
    reason: /at process/,
  },
  {
    name: "fractional time",
    lines: ['{"type":"invoke","process":1,"f":"get","key":"a","time":1.5}'],
    line: 1,
    reason: /at time/,
  },
  { name: "completion without invoke", lines: [okPut], line: 1, reason: /without an outstanding invoke/ },
  {
    name: "completion with another f",
    lines: [invokePut, '{"type":"ok","process":1,"f":"append","key":"a","time":2}'],
    line: 2,
    reason: /but its invoke \(line 2\) is put/,
  },
  {
    name: "completion on another key",
    lines: [invokePut, '{"type":"fail","process":1,"f":"put","key":"b","time":2}'],
    line: 2,
    reason: /on key "b" but its invoke/,
  },
  {
    name: "two outstanding ops on one process",
    lines: [invokePut, '{"type":"invoke","process":1,"f":"get","key":"a","time":2}'],
    line: 2,
    reason: /process 1 invokes while its op from line 2 is outstanding/,
  },
  {
    name: "time on some lines only",
    lines: [invokePut, '{"type":"ok","process":1,"f":"put","key":"a"}'],
    line: 2,
    reason: /time/,
  },
  {
    name: "put without a value",
    lines: ['{"type":"invoke","process":1,"f":"put","key":"a"}'],
    line: 1,
    reason: /without a value/,
  },
  {
    name: "get ok without the value read",
    lines: [
      '{"type":"invoke","process":1,"f":"get","key":"a"}',
      '{"type":"ok","process":1,"f":"get","key":"a"}',
    ],
    line: 2,
    reason: /value read/,
  },
  {
    name: "completion before its invoke",
    lines: [invokePut.replace('"time":1', '"time":9'), okPut],
    line: 2,
    reason: /before its invoke/,
  },
];

describe.concurrent("check CLI", () => {
  it("exits 0 on a linearizable history and 1 on a violation, naming the key", async () => {
    const ok = await runCheckCli([path.join(historiesDirectory, "porcupine-kv-c10-ok.jsonl")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^linearizable: 337 ops on 10 keys/);
    const bad = await runCheckCli([path.join(historiesDirectory, "porcupine-kv-c10-bad.jsonl")]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/NOT linearizable: key "1"/);
    expect(bad.stdout).toMatch(
      /None of these can come next:\n {2}#6 p9 get → "x 3 0 yx 3 1 y" \[89, 90\] line 90/,
    );
  });

  it("prints one JSON object with --json", async () => {
    const run = await runCheckCli([path.join(historiesDirectory, "porcupine-kv-c01-bad.jsonl"), "--json"]);
    expect(run.code).toBe(1);
    const verdict: unknown = JSON.parse(run.stdout);
    expect(verdict).toMatchObject({
      result: "violation",
      keys: 8,
      ops: 38,
      violation: {
        key: "7",
        state: "x 0 0 yx 0 3 y",
        ops: [{ f: "get", value: "x 0 0 y", call: 58, return: 59 }],
      },
    });
  });

  it("writes a self-contained HTML page with --html", async () => {
    const html = path.join(directory, "bad.html");
    const run = await runCheckCli([
      path.join(historiesDirectory, "porcupine-kv-c01-bad.jsonl"),
      "--html",
      html,
    ]);
    expect(run.code).toBe(1);
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain("<svg");
    expect(page).toContain("violation");
    expect(page).not.toMatch(/<script|<link|src=/);
  });

  it("reads standard input for -", async () => {
    const ops: OpSpec[] = [{ process: 0, f: "get", value: "", call: 0, end: 1 }];
    const run = await runCheckCli(["-"], toJsonl(historyOf(ops)));
    expect(run.code).toBe(0);
  });

  it("exits 3 when a tiny budget runs out", async () => {
    const file = writeHistory("hard.jsonl", toJsonl(historyOf(hardOps())));
    const run = await runCheckCli([file, "--budget", "0.2", "--json"]);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ result: "unknown", keysUnfinished: ["k"] });
  });

  it("exits 2 with a clear message for a missing file", async () => {
    const run = await runCheckCli([path.join(directory, "no-such-history.jsonl")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no-such-history\.jsonl: no such file/);
  });

  it("exits 2 on a history with no operations instead of calling it linearizable (issue 12)", async () => {
    for (const text of ["", "\n\n"]) {
      const run = await runCheckCli([writeHistory("empty.jsonl", text), "--json"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/empty\.jsonl: no operations \(an empty history\): nothing to check/);
      expect(run.stdout).not.toMatch(/linearizable/);
    }
  });

  it("exits 2 on usage errors and 0 on --help", async () => {
    expect((await runCheckCli([])).code).toBe(2);
    expect((await runCheckCli(["x.jsonl", "--budget", "soon"])).code).toBe(2);
    const help = await runCheckCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:/);
  });

  it.each(malformed)("exits 2 naming the line: $name", async ({ name, lines, line, reason }) => {
    // A blank line first: line numbers count it even though it is skipped.
    const file = writeHistory(`${name.replace(/\W+/g, "-")}.jsonl`, ["", ...lines].join("\n") + "\n");
    const run = await runCheckCli([file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`line ${line + 1}: `);
    expect(run.stderr).toMatch(reason);
  });
});
