import type { BenchSupport } from "../../benchSupport.js";
import { makeVrConfig, type VrConfig } from "../config.js";
import { vrRelayAt, vrRelayServers } from "../relayActors.js";

// VR's ceiling: a relay primary and two relay backups (relayActors.ts). A view
// serves once a replica answers "normal" in it (no servingEvent). Unreplicated:
// one replica, which commits alone (f = 0).
export const vrBench: BenchSupport = {
  relay: { servers: vrRelayServers, actorAt: vrRelayAt },
  unreplicated: (config) => makeVrConfig({ ...(config as VrConfig), replicas: 1 }),
};
