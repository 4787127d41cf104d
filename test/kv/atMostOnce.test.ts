// The session table (DESIGN §4.1, after the Raft dissertation §6.3): sessions
// opened through the log, writes answered once, idle sessions forgotten by a
// logged expire entry, and a request of a session the table does not hold
// refused with SessionExpired, never run.
import { describe, expect, it } from "vitest";
import { type App, applyEntry, emptyApp, type LogEntry, oldestActivityMs } from "../../src/kv/atMostOnce.js";
import { sessionsMax } from "../../src/schemas/limits.js";
import type { Op } from "../../src/schemas/op.js";

const register = (client: string, atMs = 0): LogEntry => ({ type: "register", client, seq: 1, atMs });
const op = (client: string, session: number, seq: number, operation: Op, atMs = 0): LogEntry => ({
  type: "op",
  client,
  session,
  seq,
  op: operation,
  atMs,
});
const append = (value: string): Op => ({ f: "append", key: "k", value });
const expire = (beforeMs: number, atMs: number): LogEntry => ({ type: "expire", beforeMs, atMs });

function opened(client: string, atMs = 0): { app: App; session: number } {
  const app = emptyApp();
  const result = applyEntry(app, register(client, atMs));
  if (!("session" in result)) throw new Error("a register answers a session");
  return { app, session: result.session };
}

describe("session table", () => {
  it("opens a session at a log position; a register retried finds the same session", () => {
    const { app, session } = opened("client-a");
    expect(session).toBe(1);
    applyEntry(app, op("client-a", session, 1, append("x")));
    expect(applyEntry(app, register("client-a"))).toEqual({ ok: true, session: 1 });
    expect(app.lastByClient.get("client-a")).toMatchObject({ id: 1, seq: 1 });
    expect(app.applied).toBe(3);
  });

  it("runs a write once: a retry is answered from the table", () => {
    const { app, session } = opened("client-a");
    // The retry gets the first answer (the length after the one append), not a second append's.
    expect(applyEntry(app, op("client-a", session, 1, append("x")))).toEqual({ ok: true, value: "1" });
    expect(applyEntry(app, op("client-a", session, 1, append("x")))).toEqual({ ok: true, value: "1" });
    expect(app.store.get("k")).toBe("x");
  });

  it("refuses a request of a session never opened, without running it", () => {
    const app = emptyApp();
    expect(applyEntry(app, op("client-a", 1, 1, append("x")))).toEqual({
      ok: false,
      error: "SessionExpired",
    });
    expect(app.store.size).toBe(0);
    expect(app.applied).toBe(1); // the position counts on every replica alike
  });

  it("forgets sessions idle since before the expire entry's time, keeping the active ones", () => {
    const app = emptyApp();
    applyEntry(app, register("client-a", 100));
    applyEntry(app, register("client-b", 200));
    applyEntry(app, op("client-a", 1, 1, { f: "get", key: "k" }, 300)); // a read keeps a session alive too
    expect(oldestActivityMs(app)).toBe(200);
    applyEntry(app, expire(250, 400));
    expect([...app.lastByClient.keys()]).toEqual(["client-a"]);
    expect(app.timeMs).toBe(400);
    applyEntry(app, expire(301, 500));
    expect(app.lastByClient.size).toBe(0);
    expect(oldestActivityMs(app)).toBeUndefined();
  });

  it("a session opened again is another one: a late request of the old one is never run again", () => {
    const { app, session } = opened("client-a", 0);
    applyEntry(app, op("client-a", session, 1, append("x"), 10));
    applyEntry(app, expire(1_000, 2_000));
    // The client's next request meets SessionExpired; it opens a new session.
    expect(applyEntry(app, op("client-a", session, 2, append("y"), 2_001))).toEqual({
      ok: false,
      error: "SessionExpired",
    });
    const reopened = applyEntry(app, register("client-a", 2_002));
    expect(reopened).toEqual({ ok: true, session: 5 });
    // A copy of seq 1 from the old session, however late, is refused (the new session has no record of it).
    expect(applyEntry(app, op("client-a", session, 1, append("x"), 2_003))).toEqual({
      ok: false,
      error: "SessionExpired",
    });
    expect(applyEntry(app, op("client-a", 5, 3, append("z"), 2_004))).toEqual({ ok: true, value: "2" });
    expect(app.store.get("k")).toBe("xz");
  });

  it("keeps time monotonic: an entry stamped earlier does not move it back", () => {
    const { app } = opened("client-a", 1_000);
    applyEntry(app, register("client-b", 900));
    expect(app.timeMs).toBe(1_000);
    expect(app.lastByClient.get("client-b")!.activeMs).toBe(1_000);
  });

  it("holds at most sessionsMax sessions: opening one more forgets the least recently active", () => {
    const app = emptyApp();
    for (let i = 0; i < sessionsMax; i++) applyEntry(app, register(`client-${i}`, i));
    applyEntry(app, op("client-0", 1, 1, { f: "get", key: "k" }, sessionsMax)); // client-0 active again
    applyEntry(app, register("client-new", sessionsMax + 1));
    expect(app.lastByClient.size).toBe(sessionsMax);
    expect(app.lastByClient.has("client-0")).toBe(true);
    expect(app.lastByClient.has("client-1")).toBe(false);
    expect(app.lastByClient.has("client-new")).toBe(true);
  });
});
