// Runs a command as a terminal does: in a process group of its own (the
// terminal's foreground group), so that `interruptGroup()` sends SIGINT to
// every process in it at once (npm, sh, tsx, node), as Ctrl-C does.
import { type ChildProcess, spawn } from "node:child_process";
import { repoRoot } from "./cli.js";

export class GroupRun {
  private text = "";
  private readonly waiters: { pattern: RegExp; resolve: () => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  /** `stdin: "pipe"` keeps standard input open (a console waiting for commands). */
  constructor(command: string, args: readonly string[], options: { stdin?: "ignore" | "pipe" } = {}) {
    this.child = spawn(command, args, {
      cwd: repoRoot,
      detached: true, // a new process group, led by this child
      stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    });
    const take = (chunk: Buffer): void => {
      this.text += chunk.toString();
      for (const waiter of [...this.waiters]) {
        if (!waiter.pattern.test(this.text)) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
    this.child.stdout?.on("data", take);
    this.child.stderr?.on("data", take);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  /** Everything printed on stdout and stderr so far, interleaved. */
  get output(): string {
    return this.text;
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    if (pattern.test(this.text)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; output:\n${this.text}`)),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Ctrl-C: SIGINT to the whole process group. */
  interruptGroup(): void {
    if (this.child.pid !== undefined) process.kill(-this.child.pid, "SIGINT");
  }

  /** Test clean-up: SIGKILL to the group if anything is still running. */
  killGroup(): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
