// The console's command language: good lines become the same commands as
// `npm run kv` / `npm run fault`; every bad line becomes one clear reason.
import { describe, expect, it } from "vitest";
import { lineLengthMax, parseLine } from "../../src/memory/commands.js";

describe("parseLine", () => {
  it("reads operations, the rest of the line being the value", () => {
    expect(parseLine("get a")).toEqual({ ok: true, command: { kind: "op", op: { f: "get", key: "a" } } });
    expect(parseLine("  put k hello   world ")).toEqual({
      ok: true,
      command: { kind: "op", op: { f: "put", key: "k", value: "hello   world" } },
    });
    expect(parseLine("append k x")).toMatchObject({ ok: true, command: { op: { f: "append" } } });
  });

  it('reads quoted words as a shell does (issue 12: put "a b" c stored the key "a)', () => {
    expect(parseLine('put "a b" c')).toEqual({
      ok: true,
      command: { kind: "op", op: { f: "put", key: "a b", value: "c" } },
    });
    expect(parseLine("get 'a b'")).toEqual({
      ok: true,
      command: { kind: "op", op: { f: "get", key: "a b" } },
    });
    expect(parseLine('append k "x  y" z')).toMatchObject({ command: { op: { key: "k", value: "x  y z" } } });
    expect(parseLine('put k "say \\"hi\\""')).toMatchObject({ command: { op: { value: 'say "hi"' } } });
    expect(parseLine("put a\\ b c")).toMatchObject({ command: { op: { key: "a b", value: "c" } } });
    expect(parseLine(`put k "it's"`)).toMatchObject({ command: { op: { value: "it's" } } });
    expect(parseLine('put k ""')).toMatchObject({ command: { op: { value: "" } } });
  });

  it("reads fault commands into control commands", () => {
    expect(parseLine("crash server-1")).toEqual({
      ok: true,
      command: { kind: "control", command: { type: "crash", node: "server-1" } },
    });
    expect(parseLine("partition server-1,server-2 viewserver")).toEqual({
      ok: true,
      command: {
        kind: "control",
        command: { type: "partition", groups: [["server-1", "server-2"], ["viewserver"]] },
      },
    });
    expect(parseLine("net --drop 0.2 --delay 0-50")).toEqual({
      ok: true,
      command: { kind: "control", command: { type: "net", drop: 0.2, duplicate: 0, delayMs: [0, 50] } },
    });
    expect(parseLine("net --delay 10")).toMatchObject({
      ok: true,
      command: { command: { delayMs: [10, 10] } },
    });
    expect(parseLine("heal")).toMatchObject({ ok: true, command: { command: { type: "heal" } } });
    expect(parseLine("reset")).toMatchObject({ ok: true, command: { command: { type: "reset" } } });
  });

  it("reads the rest, and skips blank lines and comments", () => {
    for (const [line, kind] of [
      ["view", "view"],
      ["help", "help"],
      ["quit", "quit"],
      ["exit", "quit"],
      ["", "empty"],
      ["   ", "empty"],
      ["# a note", "empty"],
    ] as const) {
      expect(parseLine(line)).toEqual({ ok: true, command: { kind } });
    }
  });

  it.each([
    ["frobnicate", /unknown command "frobnicate"/],
    ["get", /usage: get K/],
    ["get a b", /usage: get K/],
    ["put a", /usage: put K V/],
    ["view now", /usage: view/],
    ["crash", /usage: crash S/],
    ["crash server 1", /usage: crash S/],
    ["crash bad!name", /invalid crash command: node: .*letters, digits/],
    ["partition", /usage: partition/],
    ["partition a,,b", /invalid partition command: groups/],
    ["partition a,b a", /at most one group/],
    ["net --drop", /--drop needs a value/],
    ["net --drop 2", /invalid net command: drop/],
    ["net --drop -0.1", /invalid net command: drop/],
    ["net --drop lots", /--drop expects a number/],
    ["net --delay x", /--delay expects LO-HI/],
    ["net --delay 50-10", /min <= max/],
    ["net --delay 0-99999", /invalid net command: delayMs/],
    ["net --loss 0.1", /unknown option "--loss"/],
    [`get ${"k".repeat(300)}`, /the key is 300 characters long; the limit is 256$/],
    [
      `put a ${"v".repeat(1024 * 1024 + 1)}`,
      /invalid value: the value takes 1048577 bytes; the limit is 1048576 bytes/,
    ],
    ['put "a b c', /unterminated " quote/],
    ["get 'a", /unterminated ' quote/],
    [`put a ${"v".repeat(lineLengthMax)}`, /line too long/],
  ])("refuses %j", (line, reason) => {
    const parsed = parseLine(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(reason);
  });
});
