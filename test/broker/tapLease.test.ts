// A watcher's tap lease (src/broker/tapLease.ts): a `tap` command at once and
// one every renewal period until stopped, each valid for the nodes.
import { afterEach, describe, expect, it, vi } from "vitest";
import { TapLease, tapLeaseMs, tapRenewMs } from "../../src/broker/tapLease.js";
import { ControlCommand, tapLeaseMsMax } from "../../src/schemas/control.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("a tap lease", () => {
  it("taps at once, renews well before it runs out, and stops renewing when stopped", () => {
    vi.useFakeTimers();
    const sent: ControlCommand[] = [];
    const lease = new TapLease((command) => sent.push(command));
    lease.start();
    lease.start(); // a second start adds no second timer
    expect(sent).toEqual([{ type: "tap", forMs: tapLeaseMs }]);
    vi.advanceTimersByTime(tapRenewMs * 3);
    expect(sent).toHaveLength(4);
    lease.stop();
    vi.advanceTimersByTime(tapRenewMs * 3);
    expect(sent).toHaveLength(4);
    // Several renewals fit in one lease, so one lost command does not untap the cluster.
    expect(tapLeaseMs).toBeGreaterThanOrEqual(3 * tapRenewMs);
    for (const command of sent) expect(ControlCommand.safeParse(command).success).toBe(true);
  });

  it("is refused by the nodes beyond its bound or without a positive length", () => {
    for (const forMs of [0, -1, 1.5, tapLeaseMsMax + 1])
      expect(ControlCommand.safeParse({ type: "tap", forMs }).success).toBe(false);
  });
});
