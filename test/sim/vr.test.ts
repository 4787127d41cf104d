// Viewstamped Replication in the simulator (docs/VR.md): normal operation,
// a lost primary, recovery, a deposed primary cut off in a minority, state
// transfer from a checkpoint, five replicas losing two, and chaos over many
// seeds. Every client history is checked for linearizability.
import { describe, expect, it } from "vitest";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { VrConfig } from "../../src/protocols/vr/config.js";
import type { ReplicaState } from "../../src/protocols/vr/state.js";
import type { Address } from "../../src/schemas/address.js";
import { runChaos } from "../../src/sim/chaos.js";
import { Simulator } from "../../src/sim/simulator.js";
import { append, expectLinearizable, get, put, runOp } from "../support/simCluster.js";

const vr = protocolNamed("vr");

function startVr(overrides: Partial<VrConfig> = {}, seed = 1, clients = 1): Simulator {
  const config = vr.config.make(overrides as never) as VrConfig;
  const sim = new Simulator({ seed, protocol: vr, config, traceLinesMax: 2000 });
  sim.addCluster(config.replicas);
  for (let i = 1; i <= clients; i++) sim.addClient(`client-${i}`);
  return sim;
}

function replica(sim: Simulator, address: Address): ReplicaState | null {
  return sim.stateOf(address) as ReplicaState | null;
}

/** The view of the normal replicas, once they all agree on it. */
function settledView(sim: Simulator, replicas: readonly Address[]): number {
  const settled = sim.runUntil(() => {
    const states = replicas.map((address) => replica(sim, address));
    return states.every((s) => s !== null && s.status === "normal" && s.viewNum === states[0]!.viewNum);
  }, 5_000);
  if (!settled) throw new Error(`no settled view:\n${sim.trace().slice(-30).join("\n")}`);
  return replica(sim, replicas[0]!)!.viewNum;
}

const three = ["server-1", "server-2", "server-3"];

describe("viewstamped replication", () => {
  it("starts at view 0 with server-1 primary and serves put, append and get", () => {
    const sim = startVr();
    expect(settledView(sim, three)).toBe(0);
    runOp(sim, "client-1", put("a", "x"));
    runOp(sim, "client-1", append("a", "y"));
    expect(runOp(sim, "client-1", get("a"))).toBe("xy");
    expect(runOp(sim, "client-1", get("missing"))).toBe("");
    expectLinearizable(sim);
  });

  it("keeps every acknowledged write after losing its primary, and after it recovers and another replica is lost", () => {
    const sim = startVr({}, 2);
    settledView(sim, three);
    for (let i = 0; i < 20; i++) runOp(sim, "client-1", put(`k${i}`, `v${i}`));
    sim.crash("server-1");
    runOp(sim, "client-1", put("after", "crash"));
    expect(settledView(sim, ["server-2", "server-3"])).toBe(1);
    sim.restart("server-1");
    sim.runUntil(() => replica(sim, "server-1")?.status === "normal", 5_000);
    expect(replica(sim, "server-1")!.app.store.get("after")).toBe("crash");
    sim.crash("server-2");
    for (let i = 0; i < 20; i++) expect(runOp(sim, "client-1", get(`k${i}`))).toBe(`v${i}`);
    expect(runOp(sim, "client-1", get("after"))).toBe("crash");
    expectLinearizable(sim);
  });

  it("never lets a primary cut off from its backups answer, a read included; the majority moves on", () => {
    const sim = startVr({}, 3, 2);
    settledView(sim, three);
    runOp(sim, "client-1", put("a", "old"));
    // client-2 learns view 0 (server-1 primary) before the cut, so it asks the old primary first.
    expect(runOp(sim, "client-2", get("a"))).toBe("old");
    sim.network.partition([
      ["server-1", "client-2"],
      ["server-2", "server-3", "client-1"],
    ]);
    runOp(sim, "client-1", put("a", "new"));
    const answeredBefore = sim.completed.length;
    sim.invoke("client-2", get("a"));
    sim.runFor(1_000);
    expect(sim.completed.length).toBe(answeredBefore); // server-1 is still primary of view 0 in its eyes
    expect(replica(sim, "server-1")!.viewNum).toBe(0);
    sim.network.heal();
    sim.runUntil(() => !sim.isBusy("client-2"), 5_000);
    expect(sim.completed.at(-1)!.value).toBe("new");
    expectLinearizable(sim);
  });

  it("brings a replica that missed more than the log keeps back through the checkpoint", () => {
    const sim = startVr({ checkpointEntries: 8 }, 4);
    settledView(sim, three);
    sim.crash("server-3");
    for (let i = 0; i < 60; i++) runOp(sim, "client-1", put(`k${i % 7}`, `v${i}`));
    expect(replica(sim, "server-1")!.logStart).toBeGreaterThan(0);
    sim.restart("server-3");
    sim.runUntil(() => replica(sim, "server-3")?.status === "normal", 5_000);
    runOp(sim, "client-1", put("last", "x"));
    sim.runFor(200);
    const [primary, recovered] = [replica(sim, "server-1")!, replica(sim, "server-3")!];
    expect(recovered.app.applied).toBe(primary.app.applied);
    expect([...recovered.app.store]).toEqual([...primary.app.store]);
    expect(sim.sentBy("server-1", ["NewSnapshot"])).toBeGreaterThan(0);
    expectLinearizable(sim);
  });

  it("with five replicas survives two lost at once, the primary included", () => {
    const sim = startVr({ replicas: 5 }, 5);
    const five = ["server-1", "server-2", "server-3", "server-4", "server-5"];
    settledView(sim, five);
    runOp(sim, "client-1", put("a", "1"));
    sim.crash("server-1");
    sim.crash("server-2");
    runOp(sim, "client-1", append("a", "2"));
    expect(runOp(sim, "client-1", get("a"))).toBe("12");
    expect(settledView(sim, ["server-3", "server-4", "server-5"])).toBeGreaterThanOrEqual(2);
    expectLinearizable(sim);
  });

  it("with several Prepares out at once (window 4, batches of 3, 16 clients): 20 chaos seeds clean", () => {
    const config = vr.config.make({ prepareWindow: 4, prepareBatchMax: 3, checkpointEntries: 8 } as never);
    const failures: string[] = [];
    let windowUsed = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const result = runChaos({ seed, protocol: vr, config, clients: 16, keys: 4 });
      if (!result.ok) failures.push(`seed ${seed}: ${result.violation}`);
    }
    expect(failures, failures.join("\n")).toEqual([]);
    // The window was used: a primary had more than one Prepare out.
    const sim = startVr({ prepareWindow: 4, prepareBatchMax: 1 }, 9, 4);
    settledView(sim, three);
    for (let i = 1; i <= 4; i++) sim.invoke(`client-${i}`, put(`k${i}`, "v"));
    sim.runUntil(() => {
      windowUsed = Math.max(windowUsed, replica(sim, "server-1")!.prepared.length);
      return [1, 2, 3, 4].every((i) => !sim.isBusy(`client-${i}`));
    }, 5_000);
    expect(windowUsed).toBeGreaterThan(1);
  });

  const seeds = Number(process.env.PBKV_VR_CHAOS_SEEDS ?? 150);
  it(`${seeds} chaos seeds: linearizable, committed states agree, every client finishes after healing`, () => {
    const failures: string[] = [];
    let crashes = 0;
    let ops = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const result = runChaos({ seed, protocol: vr });
      crashes += result.faults.crash;
      ops += result.ops;
      if (!result.ok)
        failures.push(
          `seed ${seed}: ${result.violation}\n  replay: npm run sim -- --protocol vr --seed ${seed} --seeds 1 --trace 300`,
        );
    }
    expect(failures, failures.join("\n")).toEqual([]);
    expect(crashes).toBeGreaterThan(seeds); // the primary included: the fault model allows any replica
    expect(ops).toBeGreaterThan(seeds * 1000);
  }, 600_000);
});
