// Issue 19, found on the broker by `npm run reconfigure` (test/integration/
// vrReconfigure.test.ts): a replica a reconfiguration removes retires (emits
// `retired`, so that its host stops its process) once f'+1 new members said
// EpochStarted, the primary and a backup alike. A backup used not to: it
// heard of the next epoch through a StartEpoch (the epoch gate) before it
// executed the entry itself, and became a spare without retiring. The old
// primary now tells the old group the commit at once, and a replica of the
// old group that hears StartEpoch first is removed as if it had executed it.
import { describe, expect, it } from "vitest";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { VrConfig } from "../../src/protocols/vr/config.js";
import type { ActorEvent } from "../../src/schemas/actorEvents.js";
import { Simulator } from "../../src/sim/simulator.js";

const vr = protocolNamed("vr");

/** server-1 … server-3 and the spare server-4; the operator asks once for `members`; who retired. */
function retiredAfter(members: number[]): string[] {
  const overrides = { replicas: 3, spares: 1, operator: [{ members }] };
  const config = vr.config.make(overrides as never) as VrConfig;
  const sim = new Simulator({ seed: 1, protocol: vr, config, traceLinesMax: 2000 });
  const retired: string[] = [];
  const onEmit = sim.observer.onEmit.bind(sim.observer);
  sim.observer.onEmit = (address, role, state, event: ActorEvent, timeMs) => {
    if (event.type === "retired") retired.push(address);
    onEmit(address, role, state, event, timeMs);
  };
  sim.addCluster(vr.config.servers!(config));
  const done = sim.runUntil(() => (sim.stateOf("operator") as { done: number } | null)?.done === 1, 10_000);
  expect(done).toBe(true);
  sim.runUntil(() => false, 3_000);
  return retired;
}

describe("a replica a reconfiguration removes", () => {
  it("retires when it was the primary (server-1 of view 0)", () => {
    expect(retiredAfter([1, 2, 3])).toEqual(["server-1"]);
  });

  it("retires also when it was a backup (server-2 of view 0)", () => {
    expect(retiredAfter([0, 2, 3])).toEqual(["server-2"]);
  });
});
