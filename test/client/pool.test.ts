// The library's pool of client actors, with scripted actors: never more
// operations in flight than actors, one operation per actor at a time,
// queued operations served first come first served, an actor retired after
// a timeout replaced, an operation an actor did not run tried on another,
// and close() waiting for what is in flight while refusing what is queued.
import { describe, expect, it } from "vitest";
import { type ActorSlot, ActorPool, type SlotOutcome } from "../../src/client/pool.js";
import type { Op } from "../../src/schemas/op.js";

interface Scripted extends ActorSlot {
  id: number;
  usable: boolean;
  ops: Op[];
  stopped: boolean;
}

/** Actors whose answers the test gives: `answer(key, outcome)` settles the op on that key. */
function scriptedActors() {
  const waiting = new Map<string, (outcome: SlotOutcome) => void>();
  const actors: Scripted[] = [];
  let busyNow = 0;
  let busyMax = 0;
  const newSlot = async (): Promise<ActorSlot> => {
    const actor: Scripted = {
      id: actors.length,
      ops: [],
      stopped: false,
      usable: true,
      address: `client-${actors.length}`,
      invoke: (op) => {
        if (actor.stopped) throw new Error("a stopped actor was handed an op");
        actor.ops.push(op);
        busyNow += 1;
        busyMax = Math.max(busyMax, busyNow);
        return new Promise<SlotOutcome>((resolve) =>
          waiting.set(op.key, (outcome) => {
            busyNow -= 1;
            if (outcome.kind === "timeout") actor.usable = false;
            resolve(outcome);
          }),
        );
      },
      stop: async () => {
        actor.stopped = true;
      },
    };
    actors.push(actor);
    return actor;
  };
  const answer = async (key: string, outcome: SlotOutcome = { kind: "ok", value: key }): Promise<void> => {
    await until(() => waiting.has(key));
    const settle = waiting.get(key);
    waiting.delete(key);
    settle?.(outcome);
  };
  return { newSlot, actors, answer, busyMax: () => busyMax, isWaiting: (key: string) => waiting.has(key) };
}

async function until(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 200 && !condition(); round++) await new Promise((r) => setTimeout(r, 1));
  if (!condition()) throw new Error("condition not reached");
}

const get = (key: string): Op => ({ f: "get", key });

describe("ActorPool", () => {
  it("runs at most sizeMax ops at once and serves the queue in order", async () => {
    const script = scriptedActors();
    const pool = new ActorPool(script.newSlot, 2);
    const results = ["a", "b", "c", "d"].map((key) => pool.run(get(key), 5_000));
    await until(() => script.isWaiting("a") && script.isWaiting("b"));
    expect(script.isWaiting("c")).toBe(false);
    await script.answer("b");
    await until(() => script.isWaiting("c"));
    expect(script.isWaiting("d")).toBe(false);
    for (const key of ["a", "c", "d"]) await script.answer(key);
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d"].map((value) => ({ kind: "ok", value })));
    expect(script.actors).toHaveLength(2);
    expect(script.busyMax()).toBe(2);
    // One op per actor at a time, each actor's in the order handed to it.
    expect(script.actors.map((actor) => actor.ops.map((op) => op.key))).toEqual([
      ["a", "d"],
      ["b", "c"],
    ]);
  });

  it("replaces an actor retired by a timeout", async () => {
    const script = scriptedActors();
    const pool = new ActorPool(script.newSlot, 1);
    const first = pool.run(get("a"), 5_000);
    const second = pool.run(get("b"), 5_000);
    await script.answer("a", { kind: "timeout" });
    expect(await first).toEqual({ kind: "timeout" });
    await script.answer("b");
    expect(await second).toEqual({ kind: "ok", value: "b" });
    expect(script.actors.map((actor) => actor.ops.map((op) => op.key))).toEqual([["a"], ["b"]]);
  });

  it("names the actors it holds: a retired one no longer, its replacement once started", async () => {
    const script = scriptedActors();
    const pool = new ActorPool(script.newSlot, 1);
    expect(pool.addresses).toEqual([]);
    const first = pool.run(get("a"), 5_000);
    await script.answer("a", { kind: "timeout" });
    await first;
    expect(pool.addresses).toEqual([]); // retired: a late answer must not be shown as its op's
    const second = pool.run(get("b"), 5_000);
    await script.answer("b");
    await second;
    expect(pool.addresses).toEqual(["client-1"]);
    await pool.close();
    expect(pool.addresses).toEqual([]);
  });

  it("tries an op the actor did not run on another actor", async () => {
    const script = scriptedActors();
    const pool = new ActorPool(script.newSlot, 1);
    const result = pool.run(get("a"), 5_000);
    await script.answer("a", { kind: "not run" });
    await script.answer("a");
    expect(await result).toEqual({ kind: "ok", value: "a" });
  });

  it("times out an op that waited for an actor past its deadline", async () => {
    const script = scriptedActors();
    const pool = new ActorPool(script.newSlot, 1);
    const first = pool.run(get("a"), 5_000);
    expect(await pool.run(get("b"), 30)).toEqual({ kind: "timeout" });
    await script.answer("a");
    await first;
    expect(script.actors[0]?.ops.map((op) => op.key)).toEqual(["a"]);
  });

  it("close() refuses queued ops, waits for those in flight, then stops every actor", async () => {
    const script = scriptedActors();
    const pool = new ActorPool(script.newSlot, 1);
    const inFlight = pool.run(get("a"), 5_000);
    const queued = pool.run(get("b"), 5_000);
    await until(() => script.isWaiting("a"));
    let closed = false;
    const closing = pool.close().then(() => (closed = true));
    expect(await queued).toEqual({ kind: "closed" });
    expect(closed).toBe(false);
    await script.answer("a");
    expect(await inFlight).toEqual({ kind: "ok", value: "a" });
    await closing;
    expect(script.actors.every((actor) => actor.stopped)).toBe(true);
    expect(await pool.run(get("c"), 5_000)).toEqual({ kind: "closed" });
  });
});
