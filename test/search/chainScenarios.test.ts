// Chain replication's search tests against the correct protocol
// (src/protocols/chain/search/): every reach and recover phase reaches its
// goal, no explore phase finds a violation (appliedAgree, chainPrefix,
// linearizable, one answering tail per view, actor assertions); and the
// hand-written clones and hashes the search relies on copy what the actors
// mutate and hash equal states equal.
//
// PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds (default 1.5).
import { describe, expect, it } from "vitest";
import type { ChainClientState } from "../../src/protocols/chain/client.js";
import type { MasterState } from "../../src/protocols/chain/master.js";
import { chainProtocol } from "../../src/protocols/chain/protocol.js";
import {
  assertKnownShape,
  cloneChainClientState,
  cloneChainServerState,
  cloneMasterState,
  UnknownShapeError,
} from "../../src/protocols/chain/search/clone.js";
import { hashChainServerState, hashMasterState } from "../../src/protocols/chain/search/hash.js";
import type { ChainServerState } from "../../src/protocols/chain/state.js";
import { World } from "../../src/search/engine.js";
import { Hasher } from "../../src/search/hash.js";
import type { EventPolicy, Scenario } from "../../src/search/scenario.js";
import { findScenario, runPhase, runScenario, worldSpecOf } from "../../src/search/search.js";
import type { SearchState } from "../../src/search/state.js";
import { Random } from "../../src/sim/random.js";

// In the suite each explore phase gets 1.5 s (`npm run search -- --protocol chain` explores longer).
const seconds = Number(process.env.PBKV_SEARCH_SECONDS ?? 1.5);

describe("chain search scenarios, correct protocol", () => {
  for (const scenario of chainProtocol.search.scenarios) {
    it(`${scenario.name}: every goal reachable, no violation within the bounds`, () => {
      const outcome = runScenario(scenario, { protocol: chainProtocol, seconds });
      expect(
        outcome.violation === null ? null : `${outcome.violation.invariant}: ${outcome.violation.message}`,
      ).toBeNull();
      expect(outcome.goalMissing).toBeNull();
      expect(outcome.phases.map((phase) => phase.phase)).toEqual(scenario.phases.map((phase) => phase.name));
      for (const phase of outcome.phases) {
        if (phase.kind === "explore")
          expect(phase.outcome === "exhausted" || phase.states > 1_000).toBe(true);
        else expect(phase.outcome).toBe("goal");
      }
    }, 120_000);
  }
});

/** Random walks from `start`, with one crash and one restart of either server. */
function walk(world: World, start: SearchState, steps: number, seed: number): SearchState[] {
  const policy: EventPolicy = {
    invokes: true,
    crashable: ["server-1", "server-2"],
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
    if (codes.length === 0 || i % 200 === 199) state = start;
    else state = world.step(state, codes[random.int(codes.length)]!).state;
    states.push(state);
  }
  return states;
}

/** The state where `scenario`'s phase `name` reached its goal. */
function goalOf(world: World, scenario: Scenario, name: string): SearchState {
  let state = world.initialState().state;
  for (const phase of scenario.phases) {
    state = runPhase(world, state, phase, 1).next!;
    if (phase.name === name) return state;
  }
  throw new Error(`no phase ${name}`);
}

function keyOf(feed: (h: Hasher) => void): number {
  const hasher = new Hasher().reset(1);
  feed(hasher);
  return hasher.key();
}

const serverKey = (state: ChainServerState) => keyOf((h) => hashChainServerState(h, state));

function cloneOf(kind: string, state: unknown): unknown {
  if (kind === "server") return cloneChainServerState(state as ChainServerState);
  if (kind === "master") return cloneMasterState(state as MasterState);
  return cloneChainClientState(state as ChainClientState);
}

describe("chain's clones and hashes", () => {
  const scenario = findScenario(chainProtocol, "chain-join")!;

  it("clones equal the original and share nothing the actors mutate", () => {
    // checkSharing re-hashes every parent slot after each computed transition (a throw fails the walk).
    // From server-2 joining while server-1 applies updates (transfers, Sent lists), and from
    // server-2 linked in after server-1 (read checks, reads waiting to be confirmed).
    const world = new World(worldSpecOf(scenario, [], chainProtocol), { checkSharing: true });
    const seen = { sent: 0, outgoing: 0, check: 0, readsWaiting: 0 };
    const states = [
      ...walk(world, goalOf(world, scenario, "put answered during the join"), 2000, 7),
      ...walk(world, goalOf(world, scenario, "linked in"), 2000, 8),
    ];
    for (const state of states) {
      for (const slot of state.slots) {
        if (slot.state === null) continue;
        const kind = world.nodes[slot.node]!.kind;
        const copy = cloneOf(kind, slot.state);
        expect(copy).toEqual(slot.state);
        expect(copy).toEqual(structuredClone(slot.state));
        if (kind !== "server") continue;
        const server = slot.state as ChainServerState;
        if (server.sent.length > 0) seen.sent += 1;
        if (server.outgoing !== null) seen.outgoing += 1;
        if (server.check !== null) seen.check += 1;
        if (server.reads.length > 0) seen.readsWaiting += 1;
      }
    }
    expect(world.stats.transitionsComputed).toBeGreaterThan(1000);
    expect(Math.min(...Object.values(seen)), JSON.stringify(seen)).toBeGreaterThan(0);
  });

  it("copies an incoming transfer and held positions (the search's snapshots fit one chunk, so no walk holds one)", () => {
    const world = new World(worldSpecOf(scenario, [], chainProtocol));
    const server = world.initialState().state.slots[1]!.state as ChainServerState;
    const original: ChainServerState = {
      ...cloneChainServerState(server),
      place: "joining",
      incoming: {
        applied: 3,
        timeMs: 0,
        received: 1,
        store: new Map([["a", "x"]]),
        lastByClient: new Map(),
        heldUpTo: 4,
        heldChars: 2,
      },
      buffered: new Map([[4, { type: "expire", beforeMs: 0, atMs: 0 }]]),
    };
    const before = serverKey(original);
    const copy = cloneChainServerState(original);
    copy.incoming!.store.set("b", "y");
    copy.incoming!.received += 1;
    copy.buffered.set(5, { type: "expire", beforeMs: 1, atMs: 1 });
    copy.sent.push({ type: "expire", beforeMs: 0, atMs: 0 });
    copy.reads.push({ client: "client-1", seq: 1, key: "a" });
    expect(serverKey(original)).toBe(before);
  });

  it("hashes maps order-free and the chain, the Sent list and the reads in order", () => {
    const world = new World(worldSpecOf(scenario, [], chainProtocol));
    const server = world.initialState().state.slots[1]!.state as ChainServerState;
    const read = (seq: number) => ({ client: "client-1", seq, key: "a" });
    const view = (chain: string[]) => ({ viewNum: 3, primary: chain[0]!, backup: null, chain });
    const holders = (order: [string, number][]) => new Map(order);
    const base = cloneChainServerState(server);
    const a = {
      ...base,
      holders: holders([
        ["server-1", 1],
        ["server-2", 2],
      ]),
      reads: [read(1), read(2)],
    };
    const b = {
      ...base,
      holders: holders([
        ["server-2", 2],
        ["server-1", 1],
      ]),
      reads: [read(1), read(2)],
    };
    const c = { ...a, reads: [read(2), read(1)] };
    expect(serverKey(a)).toBe(serverKey(b));
    expect(serverKey(a)).not.toBe(serverKey(c));
    expect(serverKey({ ...a, view: view(["server-1", "server-2"]) })).not.toBe(
      serverKey({ ...a, view: view(["server-2", "server-1"]) }),
    );
    expect(serverKey({ ...a, view: { ...view(["server-1"]), joining: "server-2" } })).not.toBe(
      serverKey({ ...a, view: view(["server-1"]) }),
    );
    expect(serverKey(cloneChainServerState(a))).toBe(serverKey(a));
    const master = world.initialState().state.slots[0]!.state as MasterState;
    const record = (incarnation: number) => ({ incarnation, pingedSinceCheck: true, handedOver: false });
    const m1 = {
      ...master,
      servers: new Map([
        ["server-1", record(1)],
        ["server-2", record(2)],
      ]),
    };
    const m2 = {
      ...master,
      servers: new Map([
        ["server-2", record(2)],
        ["server-1", record(1)],
      ]),
    };
    const masterKey = (state: MasterState) => keyOf((h) => hashMasterState(h, state));
    expect(masterKey(m1)).toBe(masterKey(m2));
    expect(masterKey({ ...m1, tailAcked: true })).not.toBe(masterKey(m1));
  });

  it("refuses states with fields the clone and hash do not know", () => {
    const world = new World(worldSpecOf(scenario, [], chainProtocol));
    const [master, server] = world.initialState().state.slots.map((slot) => slot.state as object);
    expect(() => assertKnownShape("ChainServerState", server!)).not.toThrow();
    expect(() => assertKnownShape("ChainServerState", { ...server, lease: 3 })).toThrow(UnknownShapeError);
    expect(() => assertKnownShape("MasterState", master!)).not.toThrow();
    expect(() => assertKnownShape("MasterState", { ...master, epoch: 1 })).toThrow(UnknownShapeError);
  });
});
