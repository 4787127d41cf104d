// The per-key search against two references on random small histories whose
// reads are shuffled between gets (so that many are not linearizable): a
// brute force straight from the definition of linearizability, and the search
// itself without the register-specific pruning of lost reads.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createRandom,
  generateHistory,
  prepareHistory,
  type GenerateOptions,
} from "../../src/check/index.js";
import { KeySearch } from "../../src/check/search.js";
import type { Operation } from "../../src/check/prepare.js";
import type { HistoryEvent } from "../../src/schemas/history.js";

const fastCheckSeed = Number(process.env.FC_SEED ?? 20240612);

/** Moves read values between ok gets of the same key, and sometimes shortens one. */
function shuffleReads(events: readonly HistoryEvent[], seed: number): HistoryEvent[] {
  const random = createRandom(seed);
  const reads = events.flatMap((event, index) => (event.type === "ok" && event.f === "get" ? [index] : []));
  const copy = events.map((event) => ({ ...event }));
  for (const index of reads) {
    const event = copy[index]!;
    const draw = random();
    if (draw < 0.15) {
      const other = copy[reads[Math.floor(random() * reads.length)]!]!;
      if (other.key === event.key) event.value = other.value;
    } else if (draw < 0.2) {
      event.value = (event.value ?? "").slice(0, -1);
    }
  }
  return copy;
}

/**
 * Linearizable by definition: some order of all ok ops and any subset of info
 * ops that respects real time (a before b when a returns before b is called)
 * and that the register explains. Tries every order; for a handful of ops only.
 */
function bruteForce(operations: readonly Operation[]): boolean {
  const placed = new Array<boolean>(operations.length).fill(false);
  const extend = (state: string): boolean => {
    if (operations.every((operation, index) => placed[index] || operation.status === "info")) return true;
    return operations.some((operation, index) => {
      if (placed[index]) return false;
      // Every op still to place must not have returned before this one is called.
      const blocked = operations.some(
        (other, j) => !placed[j] && j !== index && other.status === "ok" && other.return < operation.call,
      );
      if (blocked) return false;
      if (operation.f === "get" && operation.value !== state) return false;
      const next =
        operation.f === "put" ? operation.value : operation.f === "append" ? state + operation.value : state;
      placed[index] = true;
      const found = extend(next);
      placed[index] = false;
      return found;
    });
  };
  return extend("");
}

function verdict(operations: ConstructorParameters<typeof KeySearch>[0], pruneLostReads: boolean): string {
  const search = new KeySearch(operations, { pruneLostReads });
  const status = search.run(5_000_000);
  return status;
}

/** How many keys a property looked at, and how many of them were not linearizable. */
interface Tally {
  keys: number;
  violations: number;
}

/**
 * Runs `check` on every key of random histories of these shapes with their
 * reads shuffled; `check` asserts and says whether the key is a violation.
 * The tally lets a test make sure the shuffling gave both verdicts.
 */
function checkShuffledKeys(
  shapes: fc.Arbitrary<GenerateOptions>,
  numRuns: number,
  check: (operations: Operation[], where: string) => boolean,
): Tally {
  const tally: Tally = { keys: 0, violations: 0 };
  fc.assert(
    fc.property(shapes, fc.integer({ min: 0, max: 10_000 }), (shape, shuffleSeed) => {
      const events = shuffleReads(generateHistory(shape), shuffleSeed);
      for (const [key, operations] of prepareHistory(events).keys) {
        const where = `generateHistory(${JSON.stringify(shape)}), shuffle ${shuffleSeed}, key ${key}`;
        tally.keys++;
        if (check(operations, where)) tally.violations++;
      }
    }),
    { seed: fastCheckSeed, numRuns },
  );
  return tally;
}

describe("KeySearch", () => {
  it("agrees with a brute force on tiny histories", () => {
    const shapes = fc.record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      ops: fc.integer({ min: 1, max: 8 }),
      keys: fc.constant(1),
      clients: fc.integer({ min: 1, max: 4 }),
      putShare: fc.double({ min: 0, max: 0.4, noNaN: true }),
      infoRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
      failRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
    });
    const { keys, violations } = checkShuffledKeys(shapes, 1000, (operations, where) => {
      const expected = bruteForce(operations) ? "linearizable" : "violation";
      expect(verdict(operations, true), where).toBe(expected);
      return expected === "violation";
    });
    expect(violations).toBeGreaterThan(keys / 20);
    expect(violations).toBeLessThan(keys * 0.9);
  });

  it("gives the same verdicts with and without pruning lost reads", () => {
    const shapes = fc.record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      ops: fc.integer({ min: 1, max: 30 }),
      keys: fc.integer({ min: 1, max: 2 }),
      clients: fc.integer({ min: 1, max: 4 }),
      putShare: fc.double({ min: 0, max: 0.4, noNaN: true }),
      infoRate: fc.double({ min: 0, max: 0.15, noNaN: true }),
    });
    const { keys, violations } = checkShuffledKeys(shapes, 400, (operations, where) => {
      const pruned = verdict(operations, true);
      const unpruned = verdict(operations, false);
      expect(unpruned, where).not.toBe("running");
      expect(pruned, where).toBe(unpruned);
      return pruned === "violation";
    });
    // The shuffling must produce both verdicts often enough to mean something.
    expect(violations).toBeGreaterThan(keys / 10);
    expect(violations).toBeLessThan(keys * 0.9);
  });
});
