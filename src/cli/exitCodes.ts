// One exit-code convention for every command (README "Exit codes"), and the
// one way a command fails with a message instead of a stack trace.
import type { Command } from "commander";

/**
 * 0 ok; 1 the operation failed (a timeout, a violation); 2 usage: the command
 * line or its input is wrong; 3 unknown: the answer is not known (the checker
 * gave up, the run was interrupted before its end, a forced exit); 69 no
 * broker; 70 internal error (a bug: the only case with a stack trace).
 */
export const exitCodes = { ok: 0, failed: 1, usage: 2, unknown: 3, noBroker: 69, internal: 70 } as const;

/** A failure the command reports in one clear message (no stack trace). */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failed,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Commander exits 1 on a usage error (unknown option, missing argument, a
 * value its parser refused); the convention says 2. Applied to the command and
 * every subcommand. `--help` and `--version` still exit 0.
 */
export function usageExitCodes(command: Command): Command {
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? exitCodes.ok : exitCodes.usage));
  for (const subcommand of command.commands) usageExitCodes(subcommand);
  return command;
}

/**
 * `npm run sim … | head`: the reader closed the pipe because it has what it
 * wanted. Exit quietly instead of crashing with an EPIPE stack trace.
 */
export function quietOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(exitCodes.ok);
    });
  }
}
