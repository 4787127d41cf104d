// Random histories from a simulated atomic store (src/check/generate.ts) are
// linearizable by construction, so the checker must accept every one; reading
// a value no op wrote makes any history non-linearizable, so it must reject
// every corrupted one. Seeded: set FC_SEED to replay; fast-check prints the
// seed and path of a failure, and each assertion names the generator's seed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkHistory,
  corruptOneRead,
  generateHistory,
  type GenerateOptions,
} from "../../src/check/index.js";
import type { HistoryEvent } from "../../src/schemas/history.js";

const fastCheckSeed = Number(process.env.FC_SEED ?? 20240611);

const shapes = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ops: fc.integer({ min: 1, max: 80 }),
  keys: fc.integer({ min: 1, max: 4 }),
  clients: fc.integer({ min: 1, max: 8 }),
  getShare: fc.double({ min: 0.2, max: 0.7, noNaN: true }),
  putShare: fc.double({ min: 0, max: 0.3, noNaN: true }),
  infoRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  failRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
});

/** Without times, line order is time: still linearizable, with fewer ops concurrent. */
function withoutTimes(events: readonly HistoryEvent[]): HistoryEvent[] {
  return events.map((event) => {
    const { time: _time, ...rest } = event;
    return rest;
  });
}

function describeShape(shape: GenerateOptions, timed: boolean): string {
  return `generateHistory(${JSON.stringify(shape)})${timed ? "" : " without times"}`;
}

describe("checker on generated histories", () => {
  it("accepts every history of an atomic store", () => {
    fc.assert(
      fc.property(shapes, fc.boolean(), (shape, timed) => {
        const generated = generateHistory(shape);
        const events = timed ? generated : withoutTimes(generated);
        const result = checkHistory(events, { budgetMs: 20_000 });
        expect(result.result, describeShape(shape, timed)).toBe("ok");
      }),
      { seed: fastCheckSeed, numRuns: 150 },
    );
  });

  it("rejects every history with one read of a value never written", () => {
    fc.assert(
      fc.property(shapes, fc.boolean(), fc.integer({ min: 0, max: 1000 }), (shape, timed, corruptionSeed) => {
        const generated = generateHistory(shape);
        const corrupted = corruptOneRead(timed ? generated : withoutTimes(generated), corruptionSeed);
        fc.pre(corrupted !== undefined);
        if (corrupted === undefined) return;
        const result = checkHistory(corrupted.events, { budgetMs: 20_000 });
        const where = `${describeShape(shape, timed)}, read at event ${corrupted.index} corrupted`;
        expect(result.result, where).toBe("violation");
        if (result.result === "violation") {
          expect(result.violation.key, where).toBe(corrupted.events[corrupted.index]?.key);
        }
      }),
      { seed: fastCheckSeed, numRuns: 150 },
    );
  });

  it("checks a 20,000-op, 20-key, 32-client history", () => {
    const events = generateHistory({ seed: 7, ops: 20_000, keys: 20, clients: 32 });
    const result = checkHistory(events, { budgetMs: 30_000 });
    expect(result).toMatchObject({ result: "ok", keys: 20 });
  });
});
