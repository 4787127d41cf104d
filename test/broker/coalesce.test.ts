// coalesceWrites without a broker: it corks the socket around the muxer's
// pass, and leaves a connection of an unknown shape alone.
import type { ChannelModel } from "amqplib";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { coalesceWrites } from "../../src/broker/connection.js";

const log = pino({ level: "silent" });

describe("coalesceWrites", () => {
  it("corks the socket for the length of one pass of the muxer", () => {
    const calls: string[] = [];
    const out = { cork: () => calls.push("cork"), uncork: () => calls.push("uncork") };
    const muxer = {
      out,
      _readIncoming(this: { out: typeof out }) {
        calls.push(this.out === out ? "pass" : "pass with the wrong this");
      },
    };
    const model = { connection: { muxer } } as unknown as ChannelModel;
    expect(coalesceWrites(model, log)).toBe(true);
    muxer._readIncoming();
    expect(calls).toEqual(["cork", "pass", "uncork"]);
  });

  it("uncorks even when the pass throws", () => {
    const calls: string[] = [];
    const muxer = {
      out: { cork: () => calls.push("cork"), uncork: () => calls.push("uncork") },
      _readIncoming() {
        throw new Error("boom");
      },
    };
    expect(coalesceWrites({ connection: { muxer } } as unknown as ChannelModel, log)).toBe(true);
    expect(() => muxer._readIncoming()).toThrow("boom");
    expect(calls).toEqual(["cork", "uncork"]);
  });

  it("leaves an amqplib of another shape alone", () => {
    for (const connection of [undefined, {}, { muxer: {} }, { muxer: { _readIncoming() {}, out: {} } }])
      expect(coalesceWrites({ connection } as unknown as ChannelModel, log)).toBe(false);
  });
});
