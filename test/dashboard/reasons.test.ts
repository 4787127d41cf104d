// Why a view changed (src/dashboard/reasons.ts): inferred from the incidents
// since the previous view and the network faults in force.
import { protocolNamed } from "../../src/protocols/registry.js";
import { describe, expect, it } from "vitest";
import { applyToFaults, cleanFaults } from "../../src/broker/faults.js";
import { explainViewChange, type Incident } from "../../src/dashboard/reasons.js";
import type { View } from "../../src/schemas/view.js";

const view = (viewNum: number, primary: string | null, backup: string | null): View => ({
  viewNum,
  primary,
  backup,
});

function explain(
  previous: View | null,
  next: View,
  incidents: Incident[] = [],
  faults = cleanFaults(),
): string {
  return explainViewChange(protocolNamed("pb"), previous, next, { previousAt: 1_000, incidents, faults });
}

describe("explainViewChange", () => {
  it("names the first pinger in view 1", () => {
    expect(explain(null, view(1, "server-1", null))).toBe("server-1 pinged first: primary of view 1");
  });

  it("says a view seen first mid-way is where the dashboard started", () => {
    expect(explain(null, view(5, "server-2", "server-3"))).toBe("current view when the dashboard started");
  });

  it("a backup joining an empty slot", () => {
    expect(explain(view(1, "server-1", null), view(2, "server-1", "server-2"))).toBe(
      "server-2 joined as backup (state transfer follows)",
    );
  });

  it("a crashed primary: backup promoted, an idle server becomes backup", () => {
    const incidents: Incident[] = [{ at: 2_000, node: "server-1", kind: "crashed" }];
    expect(explain(view(2, "server-1", "server-2"), view(3, "server-2", "server-3"), incidents)).toBe(
      "primary server-1 crashed (crash fault); backup server-2 promoted; server-3 is the new backup (state transfer follows)",
    );
  });

  it("ignores incidents from before the previous view (beyond the slack)", () => {
    const incidents: Incident[] = [{ at: -5_000, node: "server-1", kind: "crashed" }];
    expect(explain(view(2, "server-1", "server-2"), view(3, "server-2", null), incidents)).toBe(
      "primary server-1 went silent (no ping within two checks); backup server-2 promoted; no idle server to be backup",
    );
  });

  it("a primary cut off from the view server by a partition", () => {
    const faults = cleanFaults();
    applyToFaults(faults, { type: "partition", groups: [["server-1"], ["viewserver"]] });
    expect(explain(view(2, "server-1", "server-2"), view(3, "server-2", null), [], faults)).toContain(
      "primary server-1 cut off from the view server by a partition",
    );
  });

  it("a backup silenced by loss", () => {
    const faults = cleanFaults();
    applyToFaults(faults, { type: "net", drop: 0.5, duplicate: 0, delayMs: [0, 0] });
    expect(explain(view(2, "server-1", "server-2"), view(3, "server-1", "server-3"), [], faults)).toBe(
      "backup server-2 went silent: pings lost (50% loss); server-3 is the new backup (state transfer follows)",
    );
  });

  it("a process that died and came back under its own name", () => {
    const incidents: Incident[] = [{ at: 1_500, node: "server-2", kind: "process restarted" }];
    expect(explain(view(2, "server-1", "server-2"), view(3, "server-1", "server-2"), incidents)).toBe(
      "server-2 process restarted (fresh state), taken back",
    );
  });

  it("a fatal error names its detail", () => {
    const incidents: Incident[] = [
      { at: 1_500, node: "server-2", kind: "failed", detail: "AssertionError: x" },
    ];
    expect(explain(view(2, "server-1", "server-2"), view(3, "server-1", null), incidents)).toBe(
      "backup server-2 failed (AssertionError: x); no idle server to be backup",
    );
  });
});
