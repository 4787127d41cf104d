// The chaos nemesis's choice of reconfiguration (src/chaos/reconfigurer.ts):
// members that stay are live, groups keep 3 to 5 members, and the arithmetic
// of npm run reconfigure (reconfigureTarget) turns the move into the next group.
import { describe, expect, it } from "vitest";
import { reconfigureTarget } from "../../src/cli/reconfigureTarget.js";
import { groupSizeMax, planReconfiguration, type ReconfigurationPlan } from "../../src/chaos/reconfigurer.js";
import { Random } from "../../src/sim/random.js";

const three = ["server-1", "server-2", "server-3"];
const five = ["server-1", "server-2", "server-4", "server-5", "server-6"];
const allLive = (): boolean => true;

/** Every plan 200 seeds make. */
function plans(members: readonly string[], isLive: (node: string) => boolean): ReconfigurationPlan[] {
  return Array.from({ length: 200 }, (_, seed) => planReconfiguration(members, isLive, new Random(seed)));
}

describe("the chaos nemesis's reconfigurations", () => {
  it("add, remove or replace one replica; never below 3 members nor above 5", () => {
    const fromThree = plans(three, allLive);
    const moves = new Set(fromThree.map((plan) => (typeof plan === "string" ? plan : plan.move)));
    expect([...moves].sort()).toEqual(["add", "replace"]);
    const fromFive = plans(five, allLive);
    expect(new Set(fromFive.map((plan) => (typeof plan === "string" ? plan : plan.move)))).toEqual(
      new Set(["remove", "replace"]),
    );
    for (const [members, made] of [
      [three, fromThree],
      [five, fromFive],
    ] as const) {
      for (const plan of made) {
        if (typeof plan === "string") throw new Error(plan);
        expect(plan.add + plan.remove.length).toBeGreaterThan(0);
        expect(plan.add).toBeLessThanOrEqual(1);
        expect(plan.remove.length).toBeLessThanOrEqual(1);
        const target = reconfigureTarget({ members, running: members, ...plan });
        expect(target.ok).toBe(true);
        if (target.ok) {
          expect(target.members.length).toBeGreaterThanOrEqual(3);
          expect(target.members.length).toBeLessThanOrEqual(groupSizeMax);
        }
      }
    }
  });

  it("takes out the member that is down, and only it; none with two down", () => {
    const oneDown = plans(three, (node) => node !== "server-2");
    for (const plan of oneDown) expect(plan).toEqual({ move: "replace", add: 1, remove: ["server-2"] });
    const fourOneDown = plans(
      ["server-1", "server-2", "server-3", "server-4"],
      (node) => node !== "server-3",
    );
    for (const plan of fourOneDown) {
      if (typeof plan === "string") throw new Error(plan);
      expect(plan.remove).toEqual(["server-3"]);
      expect(plan.move).not.toBe("add");
    }
    expect(planReconfiguration(three, (node) => node === "server-1", new Random(1))).toBe(
      "server-2 and server-3 are down",
    );
  });

  it("reuses a free slot, a retired one included, and refuses when no slot is free", () => {
    const target = reconfigureTarget({
      members: ["server-2", "server-3", "server-4"],
      running: ["server-2", "server-3", "server-4", "server-5"],
      add: 1,
      remove: ["server-2"],
    });
    expect(target).toMatchObject({
      ok: true,
      members: ["server-1", "server-3", "server-4"],
      added: ["server-1"],
    });
    const all = Array.from({ length: 9 }, (_, i) => `server-${i + 1}`);
    expect(reconfigureTarget({ members: three, running: all, add: 1, remove: [] }).ok).toBe(false);
  });
});
