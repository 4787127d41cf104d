// Logs go to stderr as pino JSON lines, so stdout stays for what a command
// prints. Quiet (warnings and errors) unless `--verbose`.
import { pino, type Logger } from "pino";

export function createLogger(options: { verbose: boolean; name: string }): Logger {
  return pino(
    { name: options.name, level: options.verbose ? "debug" : "warn", base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: true }),
  );
}
