import { noFaults, type Scenario } from "../../../search/scenario.js";
import { append, eachAnswered, explore, get, put, settle } from "./phases.js";
import { viewNumRoseAbove } from "./predicates.js";

// VR's search tests (after DSLabs' search tests, as pb's scenarios.ts): each
// has a liveness part (reach phases; and, where there are faults, a recover
// phase: once they stop, the clients finish) and a safety part (explore
// phases: no invariant breaks within the bounds). Three replicas; timers fire
// at any moment outside recover phases, which covers the loss and delay of
// any message (a backup that misses its primary's heartbeats starts a view
// change). The timings make three silent ticks a view change and keep the
// session expiry check to one tick in two (the clock is 0 throughout).
const timings = { tickMs: 100, viewChangeTimeoutMs: 300, clientRetryMs: 100, sessionExpiryMs: 400 };

export const normalOperation: Scenario = {
  name: "vr-normal",
  description:
    "three replicas, one client doing put, append, get: every operation is prepared, acknowledged by a quorum, committed and answered, while backups may suspect the primary and change views at will",
  world: {
    servers: 3,
    clients: [{ client: "client-1", ops: [put("a", "x"), append("a", "y"), get("a")] }],
    results: "expected",
    config: timings,
  },
  phases: [
    settle(),
    ...eachAnswered("client-1", 3),
    explore({
      name: "safety",
      startFrom: "settle",
      prunes: [viewNumRoseAbove(2)],
      events: noFaults,
      depthMax: 60,
      statesMax: 150_000,
      secondsMax: 8,
      probes: { depthMax: 300, secondsMax: 4 },
    }),
  ],
};

export const scenarios: readonly Scenario[] = [normalOperation];
