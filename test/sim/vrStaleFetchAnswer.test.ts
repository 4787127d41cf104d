// A recovering replica's fetch and a NewState of an earlier view. Found by
// `npm run chaos -- --protocol vr --reconfigure --seed 302` on the broker: 85
// acknowledged writes lost, all of one client's. server-3 was SIGKILLed and
// respawned in view 1 (primary server-2); while its recovery fetch asked
// server-2 for the log after op 0, the chaos's bad input (hostile
// "new-state-never-asked": a NewState of view 0 that claims to come from a
// real replica, after 0, one ghost entry; the cluster is open, so anyone
// may write any `from`) reached it first. The fetch took the ghost entry as
// op 1, dropped server-2's real answer (it no longer followed what was
// gathered) and went on from op 2. Op 1 was the first client's `register`:
// server-3 never opened that session, so every later entry of the client
// was refused there (SessionExpired) and none of its writes reached
// server-3's store. When server-3 became primary of view 2, the client's
// writes were gone and its next request was refused as expired.
//
// The same holds for a real answer of an earlier view (a previous life's
// request, a delayed copy): an earlier view's primary answers with its
// uncommitted entries too, which a later view may have replaced. A fetch
// takes answers of the view it fetches or a later one only (fetch.ts).
import { describe, expect, it } from "vitest";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { VrConfig } from "../../src/protocols/vr/config.js";
import type { VrMessage } from "../../src/protocols/vr/messages.js";
import type { ReplicaState } from "../../src/protocols/vr/state.js";
import type { Address } from "../../src/schemas/address.js";
import type { Envelope } from "../../src/schemas/envelope.js";
import { Simulator } from "../../src/sim/simulator.js";
import { append, expectLinearizable, get, runOp } from "../support/simCluster.js";

const vr = protocolNamed("vr");

function replica(sim: Simulator, address: Address): ReplicaState {
  const state = sim.stateOf(address) as ReplicaState | null;
  if (state === null) throw new Error(`${address} is down`);
  return state;
}

function normalIn(sim: Simulator, addresses: readonly Address[], viewNum: number): boolean {
  return addresses.every((address) => {
    const state = sim.stateOf(address) as ReplicaState | null;
    return state !== null && state.status === "normal" && state.viewNum === viewNum;
  });
}

/** The chaos's hostile NewState (src/protocols/vr/parts/chaos.ts), from `from`, stamped view 0. */
function forgedNewState(from: Address, to: Address): Envelope<VrMessage> {
  const ghost = { type: "op", client: "client-ghost", session: 1, seq: 1, atMs: 0 } as const;
  return {
    v: 1,
    id: "forged-1",
    from,
    to,
    viewNum: 0,
    sentAt: 0,
    body: {
      type: "NewState",
      epoch: 0,
      upTo: 1,
      commitNumber: 1,
      complete: true,
      after: 0,
      entries: [{ ...ghost, op: { f: "put", key: "ghost", value: "marker" } }],
    },
  };
}

describe("a VR fetch and an answer of an earlier view", () => {
  it("a recovering replica ignores a NewState of an earlier view than the one it fetches (chaos seed 302)", () => {
    const config = vr.config.make({} as never) as VrConfig;
    const sim = new Simulator({ seed: 302, protocol: vr, config, traceLinesMax: 2000 });
    sim.addCluster(3);
    sim.addClient("client-1");
    sim.addClient("client-2");
    expect(sim.runUntil(() => normalIn(sim, ["server-1", "server-2", "server-3"], 0), 5_000)).toBe(true);
    // client-1 opens the first session: its register is op 1.
    runOp(sim, "client-1", append("k1", "a1 "));
    expect(replica(sim, "server-1").app.lastByClient.get("client-1")?.id).toBe(1);
    runOp(sim, "client-2", append("k1", "b1 "));
    // View 1, primary server-2 (as in the run: server-2 was primary when server-3 was killed).
    sim.crash("server-1");
    runOp(sim, "client-1", append("k1", "a2 "));
    expect(sim.runUntil(() => normalIn(sim, ["server-2", "server-3"], 1), 5_000)).toBe(true);
    sim.restart("server-1");
    expect(sim.runUntil(() => normalIn(sim, ["server-1", "server-2", "server-3"], 1), 5_000)).toBe(true);
    // server-3 killed and respawned: it recovers by fetching server-2's log from op 0.
    sim.crash("server-3");
    runOp(sim, "client-1", append("k1", "a3 "));
    sim.restart("server-3");
    const fetching = () => replica(sim, "server-3").fetch;
    expect(sim.runUntil(() => fetching()?.purpose === "recovery", 5_000)).toBe(true);
    expect(fetching()).toMatchObject({ source: 1, viewNum: 1, after: 0, entries: [] });
    sim.inject(forgedNewState("server-2", "server-3"));
    expect(sim.runUntil(() => normalIn(sim, ["server-3"], 1), 5_000)).toBe(true);
    const [primary, recovered] = [replica(sim, "server-2"), replica(sim, "server-3")];
    expect(recovered.log[0]).toEqual(primary.log[0]);
    expect(recovered.app.lastByClient.get("client-1")?.id).toBe(1);
    // server-3 becomes primary of view 2 (server-2 cut off): client-1's writes and session are there.
    sim.network.partition([["server-2"], ["server-1", "server-3", "client-1", "client-2"]]);
    expect(runOp(sim, "client-1", get("k1"))).toBe("a1 b1 a2 a3 ");
    expect(replica(sim, "server-3")).toMatchObject({ status: "normal", viewNum: 2 });
    expectLinearizable(sim);
  });
});
