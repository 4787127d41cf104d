// `npm run cluster -- --ui [port]`: the dashboard in the cluster's own
// process, with the defaults of `npm run dashboard`. A dashboard that cannot
// start (port taken) is reported and the cluster runs on without it.
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed } from "../protocols/registry.js";
import type { Logger } from "pino";
import type { ClusterNames } from "../broker/topology.js";
import { defaultPort, type RunningDashboard, startDashboard } from "./server.js";

/** Ordinary messages drawn per second (and as many lost, delayed or duplicated): enough to read, few enough to follow. */
export const samplesPerSecondDefault = 60;

/** A TCP port, 0 for any free one; null when the text is not one. */
export function parsePort(text: string): number | null {
  const value = Number(text);
  return text.trim() !== "" && Number.isSafeInteger(value) && value >= 0 && value <= 65_535 ? value : null;
}

export interface ClusterUiOptions {
  /** `--ui` alone (true) or `--ui PORT`. */
  port: string | true;
  /** The protocol the cluster runs (default: the registry's default). */
  protocol?: AnyProtocol;
  names: ClusterNames;
  url: string;
  clientRetryMs: number;
  /** The cluster's configuration (default: the protocol's defaults with `clientRetryMs`). */
  config?: ProtocolConfigBase;
  log: Logger;
  say: (line: string) => void;
}

export async function startClusterUi(options: ClusterUiOptions): Promise<RunningDashboard | null> {
  const port = options.port === true ? defaultPort : parsePort(options.port);
  if (port === null) {
    options.say(`dashboard not started: --ui takes a port number, not ${JSON.stringify(options.port)}`);
    return null;
  }
  try {
    const dashboard = await startDashboard({
      protocol: options.protocol ?? protocolNamed(defaultProtocolName),
      names: options.names,
      url: options.url,
      host: "127.0.0.1",
      port,
      tap: true,
      samplesPerSecond: samplesPerSecondDefault,
      clientRetryMs: options.clientRetryMs,
      config: options.config,
      log: options.log,
      say: options.say,
    });
    options.say(`dashboard: ${dashboard.url}`);
    return dashboard;
  } catch (error) {
    options.say(`dashboard not started: ${(error as Error).message}`);
    return null;
  }
}
