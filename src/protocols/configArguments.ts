import type { AnyProtocol, ProtocolConfigBase } from "./protocol.js";

/**
 * The command-line arguments that give a node process (`npm run node`) the
 * configuration `config`: `--client-retry-ms` and every option the protocol
 * declares, each with its value in `config`. Drivers that start node
 * processes (chaos, bench) pass them on, so a node runs the configuration
 * its driver measured or checked against.
 */
export function configArguments(protocol: AnyProtocol, config: ProtocolConfigBase): string[] {
  const fields = config as unknown as Readonly<Record<string, unknown>>;
  const args = ["--client-retry-ms", String(config.clientRetryMs)];
  for (const option of protocol.config.options) {
    const value = fields[option.field];
    if (typeof value !== "number")
      throw new Error(
        `${protocol.name}: option --${option.flag} sets "${option.field}", not a number in its config`,
      );
    args.push(`--${option.flag}`, String(value));
  }
  return args;
}
