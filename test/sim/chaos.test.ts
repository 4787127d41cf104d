// Chaos (DESIGN §1 as a whole): random loss 0–30%, duplication, delay and
// reordering, partitions, crashes and same-name restarts (at most one of
// primary/backup lost per view), new servers joining, healed at the end.
// Every seed must give a linearizable history in which every client finishes.
import { describe, expect, it } from "vitest";
import { runChaos } from "../../src/sim/chaos.js";

const seedCount = Number(process.env.PBKV_CHAOS_SEEDS ?? 300);
const firstSeed = Number(process.env.PBKV_CHAOS_FIRST_SEED ?? 1);

describe("chaos in the simulator", () => {
  it(`${seedCount} seeds: no violation, every client finishes after healing`, () => {
    const failures: string[] = [];
    let ops = 0;
    let crashes = 0;
    let partitions = 0;
    for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) {
      const result = runChaos({ seed });
      ops += result.ops;
      crashes += result.faults.crash;
      partitions += result.faults.partition + result.faults.cut;
      if (!result.ok) {
        failures.push(
          `seed ${seed}: ${result.violation}\n  replay: npm run sim -- --seed ${seed} --seeds 1 --trace 300`,
        );
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
    // The faults really happened (a nemesis that does nothing proves nothing).
    expect(crashes).toBeGreaterThan(seedCount);
    expect(partitions).toBeGreaterThan(seedCount / 2);
    expect(ops).toBeGreaterThan(seedCount * 1000);
  }, 600_000);
});
