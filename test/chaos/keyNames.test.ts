// The chaos load's key names (src/chaos/workload.ts): append-only keys move on
// to a fresh name every few hundred appends, so values stay short; keys that
// take puts keep one name; every name used is listed for the final reads.
import { describe, expect, it } from "vitest";
import { isAppendOnlyKey, KeyNames } from "../../src/chaos/workload.js";

describe("chaos key names", () => {
  it("moves an append-only key to a new name after N appends; gets read the current name", () => {
    const names = new KeyNames(["k0", "k1"], 3);
    expect(isAppendOnlyKey(1)).toBe(true);
    const appends = Array.from({ length: 7 }, () => names.nameOf(1, true));
    expect(appends).toEqual(["k1", "k1", "k1", "k1.1", "k1.1", "k1.1", "k1.2"]);
    expect(names.nameOf(1, false)).toBe("k1.2");
    expect(names.all()).toEqual(["k0", "k1", "k1.1", "k1.2"]);
  });

  it("keeps one name for a key that also takes puts", () => {
    const names = new KeyNames(["k0", "k1"], 3);
    for (let index = 0; index < 10; index++) expect(names.nameOf(0, true)).toBe("k0");
    expect(names.all()).toEqual(["k0", "k1"]);
  });
});
