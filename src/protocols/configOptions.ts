import type { AnyProtocol, ProtocolConfigBase } from "./protocol.js";

// A protocol's configuration on command lines, through what its interface
// declares (`config.options`, each a flag and the field it sets): drivers that
// start node processes or take settings from their own flags use these
// instead of knowing the protocol's fields.

/** The numeric field `field` of `config`; a readable Error when the protocol's configuration has none. */
export function configNumber(config: ProtocolConfigBase, field: string): number {
  const value = (config as unknown as Readonly<Record<string, unknown>>)[field];
  if (typeof value !== "number") throw new Error(`the configuration has no number "${field}"`);
  return value;
}

/**
 * The command-line arguments that give a node process (`npm run node`) the
 * configuration `config`: `--client-retry-ms` and every option the protocol
 * declares, each with its value in `config`. Drivers that start node
 * processes (chaos, bench) pass them on, so a node runs the configuration
 * its driver measured or checked against.
 */
export function configArguments(protocol: AnyProtocol, config: ProtocolConfigBase): string[] {
  const args = ["--client-retry-ms", String(config.clientRetryMs)];
  for (const option of protocol.config.options) {
    args.push(`--${option.flag}`, String(configNumber(config, option.field)));
  }
  return args;
}

/**
 * The protocol's configuration from a command's parsed options (commander's
 * camelCase names): `clientRetryMs`, and every option of the protocol the
 * command has a value for; the protocol's defaults for the rest. Throws the
 * protocol's readable Error on a bad combination.
 */
export function configFromOptions(
  protocol: AnyProtocol,
  options: { clientRetryMs: number } & object,
): ProtocolConfigBase {
  const values = options as Readonly<Record<string, unknown>>;
  const overrides: Record<string, unknown> = { clientRetryMs: options.clientRetryMs };
  for (const option of protocol.config.options) {
    if (values[option.field] !== undefined) overrides[option.field] = values[option.field];
  }
  return protocol.config.make(overrides as Partial<ProtocolConfigBase>);
}

/** An explicit server count the protocol's configuration contradicts (it fixes another). */
export class ServerCountConflictError extends Error {
  override readonly name = "ServerCountConflictError";
}

/**
 * How many servers a driver runs: the count the configuration fixes
 * (`config.servers`, VR's replicas) when the protocol has one, else `given`
 * (an explicit `--servers`), else `fallback` (the driver's default). An
 * explicit count that differs from the fixed one is refused, naming both.
 */
export function serverCount(
  protocol: AnyProtocol,
  config: ProtocolConfigBase,
  given: number | undefined,
  fallback: number,
): number {
  const fixed = protocol.config.servers?.(config);
  if (fixed === undefined) return given ?? fallback;
  if (given !== undefined && given !== fixed)
    throw new ServerCountConflictError(
      `--servers ${given} conflicts with the configuration of protocol ${protocol.name}, which fixes ${fixed} servers (leave --servers out, or change the protocol's setting)`,
    );
  return fixed;
}
