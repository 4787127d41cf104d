import type { BenchSupport } from "../../benchSupport.js";
import { vrRelayAt, vrRelayServers } from "../relayActors.js";

// VR's ceiling: a relay primary and two relay backups (relayActors.ts).
export const vrBench: BenchSupport = { relay: { servers: vrRelayServers, actorAt: vrRelayAt } };
