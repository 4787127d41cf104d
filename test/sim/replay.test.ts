// Saved model-checker traces replay against fresh actors (issue 5 §1): the
// JSON written by `npm run search -- --save` is read back, validated, run
// event by event, and reports the same violation; a trace that no longer
// applies says where it stopped.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildCounterexample } from "../../src/search/counterexample.js";
import { findScenario } from "../../src/protocols/pb/search/scenarios.js";
import { runScenario } from "../../src/search/search.js";
import type { SavedTrace } from "../../src/search/trace.js";
import { readTraceFile, replayTrace, TraceFileError } from "../../src/sim/replay.js";

const directory = mkdtempSync(path.join(tmpdir(), "pbkv-replay-"));

function savedTrace(): SavedTrace {
  const scenario = findScenario("view-changes")!;
  const outcome = runScenario(scenario, { mutations: ["replyBeforeBackupAck"] });
  return buildCounterexample(outcome.world, scenario, outcome.violation!).saved;
}

describe("replaying a saved search trace", () => {
  const saved = savedTrace();
  const file = path.join(directory, "reply-before-ack.json");
  writeFileSync(file, JSON.stringify(saved, null, 2));

  it("reproduces the violation from the file, step by step", () => {
    const result = replayTrace(readTraceFile(file));
    expect(result.reproduced).toBe(true);
    expect(result.violation?.invariant).toBe("linearizable");
    expect(result.violation?.message).toBe(saved.violation.message);
    expect(result.applied).toBe(saved.events.length);
    expect(result.lines[0]).toMatch(/^ ?1\. /);
    expect(result.lines.at(-1)).toMatch(/VIOLATION \(linearizable\)/);
  });

  it("shows no violation when the same events run against the correct protocol", () => {
    const result = replayTrace({ ...saved, mutations: [] });
    expect(result.reproduced).toBe(false);
    // Either a step cannot happen (the correct primary waits for the ack) or nothing breaks.
    expect(result.violation).toBeNull();
  });

  it("says where a trace stops applying", () => {
    const events = saved.events.filter((event) => event.kind !== "invoke");
    const result = replayTrace({ ...saved, events });
    expect(result.reproduced).toBe(false);
    expect(result.diverged).toMatch(/cannot happen/);
  });

  it("refuses files that are not saved traces", () => {
    const bad = path.join(directory, "bad.json");
    writeFileSync(bad, JSON.stringify({ format: "pbkv-search-trace", version: 1, events: "nope" }));
    expect(() => readTraceFile(bad)).toThrow(TraceFileError);
    expect(() => readTraceFile(path.join(directory, "missing.json"))).toThrow(TraceFileError);
  });
});
