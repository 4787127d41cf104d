import type { BenchSupport } from "../../benchSupport.js";
import { relayDefinitionFor, relayView } from "../relayActors.js";

// pb's ceiling: a relay primary, a relay backup and a fixed view server (relayActors.ts).
export const pbBench: BenchSupport = {
  relay: {
    servers: [relayView.primary, relayView.backup].filter((server) => server !== null).length,
    actorAt: relayDefinitionFor,
  },
};
