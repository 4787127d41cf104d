// The rule "no acknowledged write is lost" of the chaos runs
// (src/chaos/acknowledged.ts, docs/RELIABILITY.md): which final values keep
// every acknowledged put and append, and which lose one.
import { describe, expect, it } from "vitest";
import { HistoryRecorder } from "../../src/check/index.js";
import { checkAcknowledgedWrites } from "../../src/chaos/acknowledged.js";

/** A tiny scripted history on key "k": ops run one after another unless told otherwise. */
function history(build: (h: HistoryRecorder) => void): HistoryRecorder {
  let time = 0;
  const recorder = new HistoryRecorder(() => (time += 10));
  build(recorder);
  return recorder;
}

function write(
  h: HistoryRecorder,
  client: number,
  f: "put" | "append",
  value: string,
  outcome: "ok" | "info" = "ok",
) {
  const op = h.invoke(client, f, "k", value);
  if (outcome === "ok") h.ok(op);
  else h.info(op);
}

describe("no acknowledged write lost", () => {
  it("accepts a final value holding every acknowledged append in order", () => {
    const h = history((h) => {
      write(h, 0, "append", "x 0 0 y");
      write(h, 1, "append", "x 1 0 y");
    });
    const report = checkAcknowledgedWrites(h.events(), [{ key: "k", value: "x 0 0 yx 1 0 y" }]);
    expect(report).toMatchObject({ lostAcknowledgedWrites: 0, anomalies: 0, required: 2 });
  });

  it("names an acknowledged append missing from the final value", () => {
    const h = history((h) => {
      write(h, 0, "append", "x 0 0 y");
      write(h, 0, "append", "x 0 1 y");
    });
    const report = checkAcknowledgedWrites(h.events(), [{ key: "k", value: "x 0 0 y" }]);
    expect(report.lostAcknowledgedWrites).toBe(1);
    expect(report.examples[0]).toContain('"x 0 1 y"');
  });

  it("lets a later put overwrite appends, but not appends acknowledged after it", () => {
    const h = history((h) => {
      write(h, 0, "append", "x 0 0 y");
      write(h, 0, "put", "p 0 1 y");
      write(h, 0, "append", "x 0 2 y");
    });
    expect(checkAcknowledgedWrites(h.events(), [{ key: "k", value: "p 0 1 yx 0 2 y" }])).toMatchObject({
      lostAcknowledgedWrites: 0,
      anomalies: 0,
    });
    expect(checkAcknowledgedWrites(h.events(), [{ key: "k", value: "p 0 1 y" }]).lostAcknowledgedWrites).toBe(
      1,
    );
  });

  it("names an acknowledged put that an older put's value replaced", () => {
    const h = history((h) => {
      write(h, 0, "put", "p 0 0 y");
      write(h, 0, "put", "p 0 1 y");
    });
    const report = checkAcknowledgedWrites(h.events(), [{ key: "k", value: "p 0 0 y" }]);
    expect(report.lostAcknowledgedWrites).toBe(1);
    expect(report.examples[0]).toContain('"p 0 1 y"');
  });

  it("an acknowledged put is lost when no put took effect", () => {
    const h = history((h) => write(h, 0, "put", "p 0 0 y"));
    expect(checkAcknowledgedWrites(h.events(), [{ key: "k", value: "" }]).lostAcknowledgedWrites).toBe(1);
  });

  it("a put of unknown outcome may have overwritten anything before the read", () => {
    const h = history((h) => {
      write(h, 0, "append", "x 0 0 y");
      write(h, 1, "put", "p 1 0 y", "info");
      write(h, 0, "append", "x 0 1 y");
    });
    expect(checkAcknowledgedWrites(h.events(), [{ key: "k", value: "p 1 0 y" }])).toMatchObject({
      lostAcknowledgedWrites: 0,
      anomalies: 0,
    });
  });

  it("overlapping put and append: either order is fine", () => {
    let time = 0;
    const h = new HistoryRecorder(() => (time += 10));
    const put = h.invoke(0, "put", "k", "p 0 0 y");
    const append = h.invoke(1, "append", "k", "x 1 0 y");
    h.ok(put);
    h.ok(append);
    for (const value of ["p 0 0 y", "p 0 0 yx 1 0 y"]) {
      expect(checkAcknowledgedWrites(h.events(), [{ key: "k", value }]).lostAcknowledgedWrites, value).toBe(
        0,
      );
    }
  });

  it("flags values never written, duplicates, order inversions and unreadable keys", () => {
    const h = history((h) => {
      write(h, 0, "append", "x 0 0 y");
      write(h, 0, "append", "x 0 1 y");
    });
    const anomalies = (value: string | null): number =>
      checkAcknowledgedWrites(h.events(), [{ key: "k", value }]).anomalies;
    expect(anomalies("x 0 0 yx 0 1 yx 9 9 y")).toBe(1);
    expect(anomalies("x 0 0 yx 0 0 yx 0 1 y")).toBe(1);
    expect(anomalies("x 0 1 yx 0 0 y")).toBe(1);
    expect(anomalies("garbage")).toBeGreaterThan(0);
    expect(anomalies(null)).toBe(1);
  });
});
