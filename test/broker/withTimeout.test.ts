// withTimeout (src/broker/clients.ts), which every client operation runs
// through: the answer when it comes in time, ClientTimeoutError after the
// timeout or once an interrupt aborts, and no listener left on the signal.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ClientTimeoutError, withTimeout } from "../../src/broker/clients.js";

const never = new Promise<string>(() => {});

describe("withTimeout", () => {
  it("answers with the promise when it settles in time", async () => {
    await expect(withTimeout(Promise.resolve("ok"), 1_000, "late")).resolves.toBe("ok");
    await expect(withTimeout(Promise.reject(new Error("boom")), 1_000, "late")).rejects.toThrow("boom");
  });

  it("rejects with ClientTimeoutError after the timeout", async () => {
    const outcome = withTimeout(never, 5, "no answer");
    await expect(outcome).rejects.toBeInstanceOf(ClientTimeoutError);
    await expect(outcome).rejects.toThrow("no answer");
  });

  it("rejects when the stop signal aborts, at once when it already has", async () => {
    const stop = new AbortController();
    const outcome = withTimeout(never, 60_000, "no answer", stop.signal);
    stop.abort();
    await expect(outcome).rejects.toThrow("no answer (interrupted)");
    await expect(withTimeout(never, 60_000, "again", stop.signal)).rejects.toThrow("again (interrupted)");
  });

  it("leaves no listener on the signal once settled", async () => {
    const signal = new AbortController().signal;
    const answered = withTimeout(Promise.resolve(1), 60_000, "late", signal);
    expect(getEventListeners(signal, "abort")).toHaveLength(1);
    await answered;
    await expect(withTimeout(never, 5, "late", signal)).rejects.toBeInstanceOf(ClientTimeoutError);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});
