// `npm run search` as users run it: a subprocess judged by its output and
// exit code (0 no violation and goals reached, 1 violation, 2 bad arguments).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../support/cli.js";
import { mutationNames } from "../../src/protocols/pb/config.js";
import { scenarios } from "../../src/protocols/pb/search/scenarios.js";

const directory = mkdtempSync(path.join(tmpdir(), "pbkv-search-"));

function runSearchCli(args: readonly string[]): Promise<CliRun> {
  return runCli("search", args);
}

describe("npm run search", () => {
  it("--list prints the scenarios, then the mutants", async () => {
    const run = await runSearchCli(["--list"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual([
      ...scenarios.map((scenario) => `scenario ${scenario.name}`),
      ...mutationNames.map((name) => `mutant ${name}`),
    ]);
  });

  it("exits 2 on bad arguments", async () => {
    expect((await runSearchCli(["--scenario", "no-such-scenario"])).code).toBe(2);
    expect((await runSearchCli(["--scenario", "single-server", "--mutant", "noSuchBug"])).code).toBe(2);
    expect((await runSearchCli(["--replay", path.join(directory, "missing.json")])).code).toBe(2);
  });

  it("reports figures as JSON and exits 0 when nothing breaks", async () => {
    const run = await runSearchCli(["--scenario", "single-server", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      result: string;
      states: number;
      statesPerSecond: number;
      depthReached: number;
    };
    expect(report.result).toBe("ok");
    expect(report.states).toBeGreaterThan(1_000);
    expect(report.statesPerSecond).toBeGreaterThan(0);
    expect(report.depthReached).toBeGreaterThan(10);
  });

  it("exits 1 on a violation, prints and saves the trace, and --replay reproduces it", async () => {
    const file = path.join(directory, "promote-idle.json");
    const run = await runSearchCli([
      "--scenario",
      "view-changes",
      "--mutant",
      "promoteIdleServer",
      "--save",
      file,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/VIOLATION \(actor\)/);
    expect(run.stdout).toMatch(/deliver server-\d -> viewserver \[v0\] Ping\(0/);
    const replay = await runSearchCli(["--replay", file]);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toMatch(/REPRODUCED \(actor\)/);
  });
});
