import type { BenchSupport } from "../../benchSupport.js";
import { relayDefinitionFor, relayView } from "../relayActors.js";

// pb's ceiling: a relay primary, a relay backup and a fixed view server
// (relayActors.ts). A view with a backup serves with its redundancy once the
// primary heard the backup installed the state: the primary acknowledges the
// view then, and announces it with a `transfer` event.
export const pbBench: BenchSupport = {
  relay: {
    servers: [relayView.primary, relayView.backup].filter((server) => server !== null).length,
    actorAt: relayDefinitionFor,
  },
  servingEvent: (view, event) =>
    event.type === "transfer" && event.node === view.primary && event.viewNum >= view.viewNum,
  // The drivers choose pb's server count: one server, same settings.
  unreplicated: (config) => config,
};
