// Client sessions in the simulator (DESIGN §4.1, issue 14): with an expiry
// short enough to meet under faults, sessions are forgotten the same way on
// primary and backup, a client cut off past the expiry gets SessionExpired,
// recorded as unknown (`info`), never run twice, and every history stays
// linearizable.
import { describe, expect, it } from "vitest";
import { makeConfig } from "../../src/protocols/pb/config.js";
import { runChaos } from "../../src/sim/chaos.js";
import {
  append,
  currentView,
  expectLinearizable,
  get,
  runOp,
  serverState,
  startCluster,
  waitForFullView,
} from "../support/simCluster.js";

const config = makeConfig({ sessionExpiryMs: 400 });

describe("sessions in the simulator", () => {
  it("a write whose answer was lost, retried past the expiry, is reported unknown and runs once", () => {
    const sim = startCluster({ config, clients: 2 });
    const view = waitForFullView(sim);
    const primary = view.primary!;
    runOp(sim, "client-1", append("k", "a"));
    sim.invoke("client-1", append("k", "b"));
    // The primary runs it; its answer is lost as the client is cut off for three expiries.
    sim.runUntil(() => serverState(sim, primary)!.app!.store.get("k") === "ab", 1_000);
    sim.network.cut("client-1", primary);
    sim.runFor(config.sessionExpiryMs * 3);
    expect(serverState(sim, primary)!.app!.lastByClient.has("client-1")).toBe(false); // forgotten
    runOp(sim, "client-2", append("k", "c")); // the log moves on meanwhile
    sim.network.heal();
    sim.runUntil(() => !sim.isBusy("client-1"), 5_000);
    const outcome = sim.history.events().filter((event) => event.value === "b" && event.type !== "invoke");
    expect(outcome.map((event) => event.type)).toEqual(["info"]);
    // The next operation opens a new session; "b" ran once.
    expect(runOp(sim, "client-1", get("k"))).toBe("abc");
    expectLinearizable(sim);
    const now = currentView(sim);
    const tables = [now.primary!, now.backup!].map((server) => [
      ...serverState(sim, server)!.app!.lastByClient,
    ]);
    expect(tables[0]).toEqual(tables[1]);
  });

  it("under random faults with a short expiry, no run breaks a rule or a history", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const result = runChaos({ seed, config, chaosMs: 4_000 });
      expect(result.violation, `seed ${seed}`).toBeNull();
    }
  });
});
