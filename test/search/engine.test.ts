// The model checker's engine: canonical hashing, cheap clones that share
// nothing mutable, and the network and timer semantics of a step (issue 5 §1).
import { describe, expect, it } from "vitest";
import type { ClientState } from "../../src/protocols/pb/client.js";
import type { ServerState } from "../../src/protocols/pb/server.js";
import type { ViewServerState } from "../../src/protocols/pb/viewServer.js";
import {
  assertKnownShape,
  cloneClientState,
  cloneServerState,
  cloneViewServerState,
  UnknownShapeError,
} from "../../src/protocols/pb/search/clone.js";
import { World } from "../../src/search/engine.js";
import { Hasher } from "../../src/search/hash.js";
import { hashServerState } from "../../src/protocols/pb/search/hash.js";
import { MessageTable } from "../../src/search/messages.js";
import { noFaults, type EventPolicy } from "../../src/search/scenario.js";
import { randomDeep, viewChanges } from "../../src/protocols/pb/search/scenarios.js";
import { worldSpecOf } from "../../src/search/search.js";
import {
  crashKind,
  deliverKind,
  eventArgumentOf,
  eventCode,
  eventKindOf,
  invokeKind,
  restartKind,
  type SearchState,
  timerKind,
} from "../../src/search/state.js";
import { Random } from "../../src/sim/random.js";

const withFaults: EventPolicy = {
  ...noFaults,
  crashable: ["server-1", "server-2", "server-3"],
  crashesMax: 3,
  restartsMax: 3,
};

/** Random walks from the initial state; every state met, in order. */
function walk(world: World, steps: number, seed: number, policy: EventPolicy = withFaults): SearchState[] {
  const random = new Random(seed);
  const states: SearchState[] = [];
  const codes: number[] = [];
  let state = world.initialState().state;
  for (let i = 0; i < steps; i++) {
    world.enabled(state, policy, codes);
    if (codes.length === 0 || i % 150 === 149) state = world.initialState().state;
    else {
      const step = world.step(state, codes[random.int(codes.length)]!);
      expect(step.violation).toBeNull();
      state = step.state;
    }
    states.push(state);
  }
  return states;
}

/** A canonical text of everything a search state holds: sorted maps and keys, the network as a sorted set. */
function canonical(world: World, state: SearchState): string {
  const sortValue = (value: unknown): unknown => {
    if (value instanceof Map)
      return [...value.entries()]
        .map(([k, v]) => [k, sortValue(v)])
        .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
    if (Array.isArray(value)) return value.map(sortValue);
    if (typeof value === "object" && value !== null)
      return Object.fromEntries(
        Object.entries(value)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => [k, sortValue(v)]),
      );
    return value;
  };
  const network: string[] = [];
  for (let id = 0; id < world.messages.size; id++) {
    if ((state.network[id >>> 5] ?? 0) & (1 << (id & 31)))
      network.push(MessageTable.keyOf(world.messages.envelope(id)));
  }
  return JSON.stringify({
    slots: state.slots.map((slot) => sortValue({ state: slot.state, timers: slot.timers, life: slot.life })),
    network: network.sort(),
    served: state.served,
    history: state.history === null ? null : JSON.stringify(state.history),
  });
}

describe("search engine", () => {
  it("hashes canonically: equal states have equal keys, different states different keys", () => {
    const world = new World(worldSpecOf(randomDeep, []));
    const byKey = new Map<number, string>();
    const byText = new Map<string, number>();
    for (const state of walk(world, 4000, 7)) {
      const text = canonical(world, state);
      const keyOfText = byText.get(text);
      if (keyOfText !== undefined) expect(state.key).toBe(keyOfText);
      byText.set(text, state.key);
      const textOfKey = byKey.get(state.key);
      if (textOfKey !== undefined) expect(text).toBe(textOfKey);
      byKey.set(state.key, text);
    }
    // The walk met many distinct states, and some twice (so both directions were tested).
    expect(byKey.size).toBeGreaterThan(1000);
    expect(byText.size).toBe(byKey.size);
  });

  it("hashes maps by content, not insertion order", () => {
    const world = new World(worldSpecOf(viewChanges, []));
    const state = world.initialState().state;
    const server = state.slots[1]!.state as ServerState;
    const a = {
      ...cloneServerState(server),
      app: {
        applied: 2,
        timeMs: 0,
        store: new Map([
          ["a", "1"],
          ["b", "2"],
        ]),
        lastByClient: new Map(),
      },
    };
    const b = {
      ...cloneServerState(server),
      app: {
        applied: 2,
        timeMs: 0,
        store: new Map([
          ["b", "2"],
          ["a", "1"],
        ]),
        lastByClient: new Map(),
      },
    };
    const c = {
      ...cloneServerState(server),
      app: {
        applied: 2,
        timeMs: 0,
        store: new Map([
          ["a", "2"],
          ["b", "1"],
        ]),
        lastByClient: new Map(),
      },
    };
    const keyOf = (s: ServerState): number => {
      const hasher = new Hasher().reset(1);
      hashServerState(hasher, s);
      return hasher.key();
    };
    expect(keyOf(a)).toBe(keyOf(b));
    expect(keyOf(a)).not.toBe(keyOf(c));
  });

  it("clones equal the original and share nothing the actors mutate", () => {
    // checkSharing re-hashes every parent slot after each computed transition.
    const world = new World(worldSpecOf(randomDeep, []), { checkSharing: true });
    for (const state of walk(world, 3000, 11)) {
      for (const slot of state.slots) {
        if (slot.state === null) continue;
        const node = world.nodes[slot.node]!;
        const copy =
          node.kind === "server"
            ? cloneServerState(slot.state as ServerState)
            : node.kind === "viewserver"
              ? cloneViewServerState(slot.state as ViewServerState)
              : cloneClientState(slot.state as ClientState);
        expect(copy).toEqual(slot.state);
        expect(copy).toEqual(structuredClone(slot.state));
      }
    }
    expect(world.stats.transitionsComputed).toBeGreaterThan(500);
  });

  it("refuses actor states with fields the clone and hash do not know", () => {
    const world = new World(worldSpecOf(viewChanges, []));
    const server = world.initialState().state.slots[1]!.state as ServerState;
    expect(() => assertKnownShape("ServerState", server)).not.toThrow();
    expect(() => assertKnownShape("ServerState", { ...server, lease: 3 })).toThrow(UnknownShapeError);
  });

  it("leaves a delivered message in the network: it may come again (duplication) or never (loss)", () => {
    const world = new World(worldSpecOf(viewChanges, []));
    const codes: number[] = [];
    const initial = world.initialState().state;
    world.enabled(initial, noFaults, codes);
    const ping = codes.find((code) => eventKindOf(code) === deliverKind)!;
    const once = world.step(initial, ping).state;
    expect(once).not.toBe(initial);
    world.enabled(once, noFaults, codes);
    expect(codes).toContain(ping);
    // The view server already counted that ping: a duplicate changes nothing.
    expect(world.step(once, ping).state).toBe(once);
  });

  it("fires a node's timers in the order they were set, one event per node", () => {
    const world = new World(worldSpecOf(viewChanges, []));
    const client = world.nodeIndex.get("client-1")!;
    let state = world.initialState().state;
    const codes: number[] = [];
    // Invoke, then finish nothing: the client holds one retry timer; a second invoke is impossible while busy.
    world.enabled(state, noFaults, codes);
    state = world.step(
      state,
      codes.find((code) => eventArgumentOf(code) === client && eventKindOf(code) === invokeKind)!,
    ).state;
    expect(state.slots[client]!.timers).toEqual([{ type: "ClientRetryTimer", seq: 1 }]);
    world.enabled(state, noFaults, codes);
    expect(
      codes.filter((code) => eventKindOf(code) === timerKind && eventArgumentOf(code) === client),
    ).toHaveLength(1);
    const fired = world.step(state, eventCode(timerKind, client)).state;
    expect(fired.slots[client]!.timers).toEqual([{ type: "ClientRetryTimer", seq: 1 }]);
  });

  it("gives every life of a server its own incarnation", () => {
    const world = new World(worldSpecOf(viewChanges, []));
    const node = world.nodeIndex.get("server-2")!;
    let state = world.initialState().state;
    const incarnations = [(state.slots[node]!.state as ServerState).incarnation];
    for (let life = 1; life <= 3; life++) {
      state = world.step(state, eventCode(crashKind, node)).state;
      expect(state.slots[node]!.state).toBeNull();
      expect(world.canApply(state, eventCode(timerKind, node))).toBe(false);
      state = world.step(state, eventCode(restartKind, node)).state;
      incarnations.push((state.slots[node]!.state as ServerState).incarnation);
    }
    expect(new Set(incarnations).size).toBe(4);
  });
});
