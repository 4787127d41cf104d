// Runs an npm script's entry point as users do (`tsx src/cli/<name>.ts …`),
// from the repository root, as a subprocess judged by its exit code and
// output. Node loads tsx itself (`node --import tsx`), which spares the
// second of npx/npm start-up per run.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `src/cli/<command>.ts` with `args`, `input` on stdin (empty when none), `env` added. */
export function runCli(
  command: string,
  args: readonly string[],
  input?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", `src/cli/${command}.ts`, ...args],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}
