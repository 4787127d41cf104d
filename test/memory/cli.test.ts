// `npm run cluster -- --transport memory` as a user runs it: commands on a
// pipe, the value printed, and the process exiting by itself (end of input,
// quit or SIGINT) with no broker anywhere.
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
/** Generous: tsx compiles on start, and the test machine is shared. */
const exitWithinMs = 20_000;

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  elapsedMs: number;
}

function runCluster(
  args: string[],
  drive: (child: ReturnType<typeof spawn>, stdout: () => string) => void,
): Promise<Run> {
  const startedMs = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/cluster.ts", ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, RABBITMQ_URL: "amqp://nobody:nothing@127.0.0.1:1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  drive(child, () => stdout);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`still running after ${exitWithinMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, exitWithinMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, elapsedMs: performance.now() - startedMs });
    });
  });
}

describe("npm run cluster -- --transport memory", () => {
  it("runs piped commands and exits 0 by itself", async () => {
    const run = await runCluster(["--transport", "memory"], (child) =>
      child.stdin?.end("put a 1\nget a\nquit\n"),
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/in-memory network \(no broker\)/);
    expect(run.stdout).toMatch(/viewserver +view 1 \(server-\d, -\): server-\d pinged first/);
    expect(run.stdout).toMatch(/^ok$/m);
    expect(run.stdout).toMatch(/^"1"$/m);
    expect(run.stdout).toMatch(/quit: cluster stopped/);
  });

  it("stops on quit with stdin still open", async () => {
    const run = await runCluster(["--transport", "memory"], (child) => child.stdin?.write("view\nquit\n"));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\{"viewNum":\d+/m);
    expect(run.stdout).toMatch(/quit: cluster stopped/);
  });

  it("stops on SIGINT with stdin still open", async () => {
    const run = await runCluster(["--transport", "memory", "--servers", "2"], (child, stdout) => {
      const poll = setInterval(() => {
        if (!/is primary in view/.test(stdout())) return;
        clearInterval(poll);
        child.kill("SIGINT");
      }, 50);
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/interrupted: cluster stopped/);
  });

  it("refuses broker-only options", async () => {
    const run = await runCluster(["--transport", "memory", "--purge", "--url", "amqp://x"], (child) =>
      child.stdin?.end(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--url, --purge: only with --transport broker/);
  });
});
