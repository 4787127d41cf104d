// Logs go to stderr as pino JSON lines, so stdout stays for what a command
// prints. Quiet (warnings and errors) unless `--verbose`, or unless a level is
// given (chaos runs its nodes at info, so that the logs it keeps of a failed
// run say what each node did).
import { pino, type Logger } from "pino";

export const logLevels = ["debug", "info", "warn"] as const;
export type LogLevel = (typeof logLevels)[number];

export function createLogger(options: { verbose: boolean; name: string; level?: LogLevel }): Logger {
  const level = options.verbose ? "debug" : (options.level ?? "warn");
  return pino(
    { name: options.name, level, base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: true }),
  );
}
