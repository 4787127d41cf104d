// The ActorCell's one policy (issue 15): a handler that throws, or a state
// that breaks an invariant, stops that actor on every host alike: state
// dropped, timers of its life dead, logged at error level, reported once.
import { describe, expect, it } from "vitest";
import { ActorCell, type CellFailure, type CellHost } from "../../src/actors/cell.js";
import type { ActorDefinition, Logger } from "../../src/actors/context.js";
import type { Envelope, TimerBase } from "../../src/schemas/envelope.js";

interface Counter {
  count: number;
}

/** Counts "Add" messages; its invariant forbids a count above 2; a "Boom" message throws. */
const counter: ActorDefinition<Counter> = {
  kind: "server",
  init(ctx) {
    ctx.setTimer({ type: "Tick" }, 10);
    return { count: 0 };
  },
  onMessage(state, message, ctx) {
    if (message.body.type === "Boom") throw new Error("boom");
    state.count += 1;
    ctx.send(message.from, { type: "Added" });
  },
  onTimer(state) {
    state.count += 1;
  },
  viewNum: (state) => state.count,
  invariants(state) {
    if (state.count > 2) throw new Error(`count ${state.count} above 2`);
  },
  describe: (state) => `count ${state.count}`,
};

function message(type: string): Envelope {
  return { v: 1, id: type, from: "client-a", to: "server-1", viewNum: 0, sentAt: 0, body: { type } };
}

function newCell() {
  const sent: Envelope[] = [];
  const timers: { timer: TimerBase; life: number }[] = [];
  const failures: CellFailure[] = [];
  const errors: object[] = [];
  let cancelled = 0;
  const host: CellHost = {
    now: () => 0,
    random: () => 0.5,
    messageId: () => String(sent.length),
    sentAt: () => 0,
    transmit: (envelope) => sent.push(envelope),
    schedule: (timer, _afterMs, life) => timers.push({ timer, life }),
    cancelTimers: () => (cancelled += 1),
    emit: () => {},
  };
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (fields) => errors.push(fields) };
  const cell = new ActorCell("server-1", counter, host, {
    checkInvariants: true,
    log,
    onFailure: (failure) => failures.push(failure),
  });
  cell.start();
  return { cell, sent, timers, failures, errors, cancelled: () => cancelled };
}

describe("the actor cell", () => {
  it("stamps what the actor sends with its address and its view", () => {
    const { cell, sent } = newCell();
    cell.deliver(message("Add"));
    expect(sent).toEqual([
      { v: 1, id: "0", from: "server-1", to: "client-a", viewNum: 1, sentAt: 0, body: { type: "Added" } },
    ]);
  });

  it("stops an actor whose handler throws: state dropped, timers cancelled, error logged, reported once", () => {
    const { cell, failures, errors, cancelled } = newCell();
    cell.deliver(message("Boom"));
    expect(cell.isUp).toBe(false);
    expect(cell.state).toBeNull();
    expect(cancelled()).toBe(1);
    expect(errors).toHaveLength(1);
    expect(failures).toEqual([
      expect.objectContaining({
        address: "server-1",
        during: "message Boom from client-a",
        state: "count 0",
      }),
    ]);
    // Down: what arrives is refused, nothing runs.
    expect(cell.deliver(message("Add"))).toBe(false);
  });

  it("stops an actor whose state breaks an invariant after the event", () => {
    const { cell, failures } = newCell();
    cell.deliver(message("Add"));
    cell.deliver(message("Add"));
    expect(failures).toEqual([]);
    cell.deliver(message("Add"));
    expect(failures.map((failure) => failure.error.message)).toEqual(["count 3 above 2"]);
    expect(cell.isUp).toBe(false);
  });

  it("drops a timer of an earlier life after a crash and a restart", () => {
    const { cell, timers } = newCell();
    const first = timers[0]!;
    cell.crash();
    cell.start();
    expect(cell.fire(first.timer, first.life)).toBe(false);
    expect(cell.state).toEqual({ count: 0 });
    const second = timers[1]!;
    expect(cell.fire(second.timer, second.life)).toBe(true);
    expect(cell.state).toEqual({ count: 1 });
  });
});
