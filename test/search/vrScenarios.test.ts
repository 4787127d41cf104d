// VR's search tests against the correct protocol (src/protocols/vr/search/):
// every reach and recover phase reaches its goal, no explore phase finds a
// violation (committedAgree, linearizable, one primary per view, actor
// assertions); and the hand-written clones and hashes the search relies on
// copy what the replicas mutate and hash equal states equal.
//
// PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds (default 1.5).
import { describe, expect, it } from "vitest";
import type { ReplicaState } from "../../src/protocols/vr/state.js";
import type { VrClientState } from "../../src/protocols/vr/client.js";
import { vrProtocol } from "../../src/protocols/vr/protocol.js";
import {
  assertKnownShape,
  cloneReplicaState,
  cloneVrClientState,
  UnknownShapeError,
} from "../../src/protocols/vr/search/clone.js";
import { hashReplicaState } from "../../src/protocols/vr/search/hash.js";
import { World } from "../../src/search/engine.js";
import { Hasher } from "../../src/search/hash.js";
import type { EventPolicy, Scenario } from "../../src/search/scenario.js";
import { findScenario, runPhase, worldSpecOf } from "../../src/search/search.js";
import type { SearchState } from "../../src/search/state.js";
import { Random } from "../../src/sim/random.js";
import { describeScenarios, isEpochScenario } from "../support/searchScenarios.js";

// In the suite each explore phase gets 1.5 s (`npm run search -- --protocol vr` explores longer).
// The reconfiguration scenarios run in vrEpochScenarios.test.ts, beside these.
describeScenarios(
  "VR search scenarios, correct protocol",
  vrProtocol.search.scenarios.map((scenario) => scenario.name).filter((name) => !isEpochScenario(name)),
  { protocol: vrProtocol, scenarios: vrProtocol.search.scenarios, seconds: 1.5 },
);

/** Random walks from `start`, with one crash and one restart of any replica. */
function walk(world: World, start: SearchState, steps: number, seed: number): SearchState[] {
  const policy: EventPolicy = {
    invokes: true,
    crashable: ["server-1", "server-2", "server-3"],
    crashesMax: 1,
    restartsMax: 1,
    fairTimers: false,
  };
  const random = new Random(seed);
  const states: SearchState[] = [];
  const codes: number[] = [];
  let state = start;
  for (let i = 0; i < steps; i++) {
    world.enabled(state, policy, codes);
    if (codes.length === 0 || i % 300 === 299) state = start;
    else state = world.step(state, codes[random.int(codes.length)]!).state;
    states.push(state);
  }
  return states;
}

/** The state where vr-state-transfer's phase `name` reached its goal. */
function goalOf(world: World, scenario: Scenario, name: string): SearchState {
  let state = world.initialState().state;
  for (const phase of scenario.phases) {
    state = runPhase(world, state, phase, 1).next!;
    if (phase.name === name) return state;
  }
  throw new Error(`no phase ${name}`);
}

function keyOf(state: ReplicaState): number {
  const hasher = new Hasher().reset(1);
  hashReplicaState(hasher, state);
  return hasher.key();
}

describe("VR's clones and hashes", () => {
  const scenario = findScenario(vrProtocol, "vr-state-transfer")!;

  it("clones equal the original and share nothing the actors mutate", () => {
    // checkSharing re-hashes every parent slot after each computed transition (a throw fails the walk).
    // From a state where server-3 is behind the others' checkpoints: fetches, checkpoints sent, votes.
    const world = new World(worldSpecOf(scenario, [], vrProtocol), { checkSharing: true });
    const seen = { votes: 0, fetchedCheckpoint: 0, outgoing: 0 };
    for (const state of walk(world, goalOf(world, scenario, "checkpointed"), 4000, 7)) {
      for (const slot of state.slots) {
        if (slot.state === null) continue;
        const node = world.nodes[slot.node]!;
        const copy =
          node.kind === "replica"
            ? cloneReplicaState(slot.state as ReplicaState)
            : cloneVrClientState(slot.state as VrClientState);
        expect(copy).toEqual(slot.state);
        expect(copy).toEqual(structuredClone(slot.state));
        if (node.kind !== "replica") continue;
        const replica = slot.state as ReplicaState;
        if (replica.votes.length > 0) seen.votes += 1;
        if (replica.fetch?.base != null) seen.fetchedCheckpoint += 1;
        if (replica.outgoing !== null) seen.outgoing += 1;
      }
    }
    expect(world.stats.transitionsComputed).toBeGreaterThan(1000);
    expect(Math.min(seen.votes, seen.fetchedCheckpoint, seen.outgoing)).toBeGreaterThan(0);
  });

  it("copies an incoming checkpoint transfer (the search's checkpoints fit one chunk, so no walk holds one)", () => {
    const world = new World(worldSpecOf(scenario, [], vrProtocol));
    const replica = world.initialState().state.slots[0]!.state as ReplicaState;
    const incoming = {
      applied: 3,
      timeMs: 0,
      received: 1,
      store: new Map([["a", "x"]]),
      lastByClient: new Map(),
      heldUpTo: 3,
      heldChars: 0,
    };
    const original: ReplicaState = {
      ...replica,
      fetch: {
        purpose: "recovery",
        source: 1,
        viewNum: 0,
        base: null,
        after: 0,
        entries: [],
        commitNumber: 0,
        goal: null,
        incoming,
        quietTicks: 0,
      },
    };
    const before = keyOf(original);
    const copy = cloneReplicaState(original);
    copy.fetch!.incoming!.store.set("b", "y");
    copy.fetch!.incoming!.received += 1;
    copy.fetch!.entries.push({ type: "expire", beforeMs: 0, atMs: 0 });
    copy.app.store.set("c", "z");
    expect(keyOf(original)).toBe(before);
  });

  it("hashes the sets a replica keeps in arrival order as sets, and votes in order", () => {
    const world = new World(worldSpecOf(scenario, [], vrProtocol));
    const replica = world.initialState().state.slots[0]!.state as ReplicaState;
    const vote = (from: number) => ({
      from,
      lastNormal: 0,
      opNumber: 0,
      commitNumber: 0,
      after: 0,
      entries: [],
    });
    const a = { ...cloneReplicaState(replica), startViewChanges: [1, 2], votes: [vote(1), vote(2)] };
    const b = { ...cloneReplicaState(replica), startViewChanges: [2, 1], votes: [vote(1), vote(2)] };
    const c = { ...cloneReplicaState(replica), startViewChanges: [1, 2], votes: [vote(2), vote(1)] };
    expect(keyOf(a)).toBe(keyOf(b));
    // bestVote keeps the first of equal votes: their order is state.
    expect(keyOf(a)).not.toBe(keyOf(c));
    expect(keyOf(cloneReplicaState(a))).toBe(keyOf(a));
  });

  it("refuses replica states with fields the clone and hash do not know", () => {
    const world = new World(worldSpecOf(scenario, [], vrProtocol));
    const replica = world.initialState().state.slots[0]!.state as ReplicaState;
    expect(() => assertKnownShape("ReplicaState", replica)).not.toThrow();
    expect(() => assertKnownShape("ReplicaState", { ...replica, lease: 3 })).toThrow(UnknownShapeError);
  });
});
