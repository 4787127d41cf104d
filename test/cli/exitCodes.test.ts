// One exit-code convention for every command (README "Exit codes"; issue 12,
// findings 6 and 7): usage errors exit 2 everywhere (commander's own errors
// exited 1 in the broker commands), a user mistake prints one line and no
// stack trace, the limits are in the message, and a closed pipe is quiet.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../support/cli.js";

describe("exit codes", () => {
  it.each([
    ["kv", ["get", "--bogus"]],
    ["kv", ["frobnicate"]],
    ["fault", ["crash"]],
    ["fault", ["start"]],
    ["reconfigure", ["--add", "x"]],
    ["reconfigure", ["--add", "1"]], // pb's group does not change at run time: --protocol vr
    ["load", ["--clients", "x"]],
    ["cluster", ["--servers", "0"]],
    ["chaos", ["--runs", "-1"]],
    ["chaos", ["--reconfigure"]], // pb's group does not change at run time: --protocol vr
    ["chaos", ["--cluster-prefix", "a.b"]],
    ["bench", ["--bogus"]],
    ["bench", ["--read-share", "1.5"]],
    ["dashboard", ["--port", "x"]],
    ["check", []],
    ["search", ["--bogus"]],
    ["sim", ["--seeds", "x"]],
  ])("%s %j is a usage error: exit 2", async (command, args) => {
    const run = await runCli(command, args);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("--url notaurl is a usage error, not a TypeError stack (exit 70)", async () => {
    const run = await runCli("kv", ["get", "a", "--url", "notaurl"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/'--url <amqp-url>' argument 'notaurl' is invalid\. expected an AMQP URL/);
    expect(run.stderr).not.toMatch(/TypeError|\n\s+at /);
  });

  it("RABBITMQ_URL=notaurl is a usage error too, not a stack trace", async () => {
    const run = await runCli("kv", ["get", "a"], undefined, { RABBITMQ_URL: "notaurl" });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("error: RABBITMQ_URL is not an AMQP URL (Invalid URL)\n");
  });

  it("a key or value over its limit says the limit (exit 2)", async () => {
    const key = await runCli("kv", ["put", "k".repeat(300), "v"]);
    expect(key.code).toBe(2);
    expect(key.stderr).toBe("error: the key is 300 characters long; the limit is 256\n");
    const value = await runCli("kv", ["append", "k", "-"], "v".repeat(1024 * 1024 + 1));
    expect(value.code).toBe(2);
    expect(value.stderr).toBe(
      "error: invalid value: the value takes 1048577 bytes; the limit is 1048576 bytes (1 MiB, counted as JSON: a newline or quote counts 2); nothing was sent\n",
    );
  });

  it.each([
    ["load", ["--history", "/dev/null/nope/h.jsonl"], "--history"],
    ["chaos", ["--out", "/dev/null/nope"], "--out"],
    ["cluster", ["--node-logs", "/dev/null/nope"], "--node-logs"],
  ])(
    "%s: an output directory it cannot write is a usage error before any work",
    async (command, args, option) => {
      const run = await runCli(command, args);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `error: ${option}: cannot write in /dev/null/nope: ENOTDIR: not a directory, mkdir '/dev/null/nope'\n`,
      );
    },
  );

  // Every seed of this mutant fails and prints its trace, and the loop over seeds is synchronous:
  // the broken pipe is seen once the loop ends, at the latest by the summary line. The seeds
  // after the first only give this process time to close the pipe before that; if it were not
  // closed in time the run would exit 1 (violations), so a short run cannot pass by luck.
  // Without the handler of the broken pipe the run crashes on EPIPE (exit 1, a stack trace).
  it("sim | head: the reader closing the pipe ends the command quietly", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/sim.ts",
        "--seeds",
        "8",
        "--trace",
        "200",
        "--mutant",
        "replyBeforeBackupAck",
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once("data", () => child.stdout.destroy()); // `head -1`, and gone
    const code = await new Promise<number | null>((resolve) =>
      child.on("exit", (exitCode) => resolve(exitCode)),
    );
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
