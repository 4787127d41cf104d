// `npm run sim` as users run it: a subprocess judged by its output and exit
// code (0 no violation, 1 a failing seed, 2 bad arguments). A planted bug the
// simulator finds quickly shows the failing seed with a replay command that
// reproduces it.
import { describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../support/cli.js";

function runSimCli(args: readonly string[]): Promise<CliRun> {
  return runCli("sim", args);
}

describe("npm run sim", () => {
  it("exits 0 with a summary line when every seed passes", async () => {
    const run = await runSimCli(["--seeds", "3"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^3 runs, 0 failing, \d+ ops/m);
  });

  it("finds a planted bug, exits 1 and prints a replay command that fails the same way", async () => {
    const run = await runSimCli(["--seeds", "2", "--mutant", "replyBeforeBackupAck"]);
    expect(run.code).toBe(1);
    const failure = /^seed (\d+) FAILED: (.*)$/m.exec(run.stdout);
    expect(failure).not.toBeNull();
    const replay = /replay: npm run sim -- (.*)$/m.exec(run.stdout)?.[1] ?? "";
    expect(replay).toContain("--mutant replyBeforeBackupAck");
    const again = await runSimCli(replay.split(" "));
    expect(again.code).toBe(1);
    // The same seed fails the same way; only the checker's own time differs between runs.
    const withoutTime = (text: string): string => text.replace(/, [\d.]+ ms\)/g, ")");
    expect(withoutTime(again.stdout)).toContain(withoutTime(`seed ${failure?.[1]} FAILED: ${failure?.[2]}`));
  });

  it("reports a run stuck by design apart from violations, with its reason, and exits 0", async () => {
    const run = await runSimCli(["--seed", "881566", "--seeds", "1", "--json"]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      violations: number;
      stuckByDesign: { seed: number; reason: string }[];
    };
    expect(summary.violations).toBe(0);
    expect(summary.stuckByDesign).toHaveLength(1);
    expect(summary.stuckByDesign[0]!.seed).toBe(881566);
    expect(summary.stuckByDesign[0]!.reason).toMatch(/was never acknowledged: its primary server-\d+/);
  });

  it("exits 2 on bad arguments, naming the mutants", async () => {
    const run = await runSimCli(["--mutant", "noSuchBug"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("replyBeforeBackupAck");
    expect((await runSimCli(["--seeds", "many"])).code).toBe(2);
  });
});
