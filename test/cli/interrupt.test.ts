// src/cli/interrupt.ts: one Ctrl-C from a terminal arrives as several signals
// (the process group's, npm's relay, tsx's relay); only a later one is the
// user's second Ctrl-C. The signals go through `onSignal` (a test runner
// cannot be sent SIGINT); test/integration/interrupt.test.ts sends real ones.
import { describe, expect, it } from "vitest";
import { duplicateSignalWindowMs, Interrupt, quietAfterSignalMs } from "../../src/cli/interrupt.js";

function harness() {
  let nowMs = 0;
  const lines: string[] = [];
  const exits: number[] = [];
  const forced: string[] = [];
  const interrupt = new Interrupt({
    nowMs: () => nowMs,
    say: (line) => lines.push(line),
    exit: (code) => exits.push(code),
    onForcedExit: () => forced.push("killed the nodes"),
    leftBehind: () => "queues may be left: npm run cluster -- --cluster x --purge",
  });
  return { interrupt, lines, exits, forced, advance: (ms: number) => (nowMs += ms) };
}

describe("Interrupt", () => {
  it("takes the copies of one Ctrl-C (within the window) for one", async () => {
    const { interrupt, lines, exits, forced, advance } = harness();
    interrupt.onSignal("SIGINT");
    advance(5);
    interrupt.onSignal("SIGINT"); // npm's relay
    advance(40);
    interrupt.onSignal("SIGINT"); // tsx's relay
    expect(await interrupt.received).toBe("SIGINT");
    expect(interrupt.signal.aborted).toBe(true);
    expect(exits).toEqual([]);
    expect(forced).toEqual([]);
    expect(lines).toEqual([]);
  });

  it("exits at once on a second Ctrl-C after the window, saying what may be left", () => {
    const { interrupt, lines, exits, forced, advance } = harness();
    interrupt.onSignal("SIGINT");
    advance(duplicateSignalWindowMs + 1);
    interrupt.onSignal("SIGINT");
    expect(forced).toEqual(["killed the nodes"]);
    expect(exits).toEqual([3]);
    expect(lines).toEqual([
      "SIGINT again: exiting without finishing the clean stop",
      "queues may be left: npm run cluster -- --cluster x --purge",
    ]);
  });

  it("after the command finished, a second Ctrl-C exits with the command's code and says nothing", () => {
    const { interrupt, lines, exits, forced, advance } = harness();
    interrupt.onSignal("SIGTERM");
    interrupt.finish();
    advance(duplicateSignalWindowMs + 1);
    const before = process.exitCode;
    process.exitCode = 0;
    interrupt.onSignal("SIGINT");
    process.exitCode = before;
    expect(exits).toEqual([0]);
    expect(forced).toEqual([]);
    expect(lines).toEqual([]);
  });

  it("quiet() waits until no signal came for a while (tsx SIGKILLs a process too busy to acknowledge a copy)", async () => {
    const interrupt = new Interrupt({ exit: () => {} });
    interrupt.onSignal("SIGINT");
    const startedMs = performance.now();
    setTimeout(() => interrupt.onSignal("SIGINT"), 50); // a relayed copy
    await interrupt.quiet();
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(50 + quietAfterSignalMs - 5);
  });
});
