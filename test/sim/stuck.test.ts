// Honest simulator verdicts (issue 14 point 6): a run whose clients never
// finish is a violation, except for the one by-design reason of DESIGN §4.1
// (the primary the view server named for its current view was lost before it
// acknowledged it), decided from the simulator's role log.
import { describe, expect, it } from "vitest";
import { makeConfig } from "../../src/protocols/pb/config.js";
import { runChaos } from "../../src/sim/chaos.js";
import { type RoleEvent, stuckByDesignReason } from "../../src/protocols/pb/stuck.js";

const view3: RoleEvent = {
  type: "view",
  atMs: 2000,
  view: { viewNum: 3, primary: "server-3", backup: "server-2" },
  primaryIncarnation: 7,
};
const view2: RoleEvent = {
  type: "view",
  atMs: 20,
  view: { viewNum: 2, primary: "server-3", backup: "server-1" },
  primaryIncarnation: 7,
};

describe("stuck by design", () => {
  it("names a last view whose primary process crashed before acknowledging it", () => {
    const log: RoleEvent[] = [
      view2,
      { type: "ack", atMs: 30, viewNum: 2 },
      { type: "crash", atMs: 1959, address: "server-3", incarnation: 7 },
      view3,
    ];
    expect(stuckByDesignReason(log)).toMatch(
      /^view 3 \(server-3, server-2\).*crashed at 1959\.0 ms.*unnoticed/,
    );
    const crashedAfter = [
      view2,
      view3,
      { type: "crash", atMs: 2050, address: "server-3", incarnation: 7 } as const,
    ];
    expect(stuckByDesignReason(crashedAfter)).toMatch(/before acknowledging it$/);
  });

  it("is not by design when the view was acknowledged, or its primary process is alive", () => {
    const crash = { type: "crash", atMs: 2050, address: "server-3", incarnation: 7 } as const;
    expect(stuckByDesignReason([view2, view3, { type: "ack", atMs: 2010, viewNum: 3 }, crash])).toBeNull();
    // Another life of the same name crashed, not the process the view named.
    expect(stuckByDesignReason([view2, view3, { ...crash, incarnation: 8 }])).toBeNull();
    // Only a backup crashed: the view server replaces it (new-backup-lost), so stuck is a violation.
    expect(
      stuckByDesignReason([view2, view3, { type: "crash", atMs: 2050, address: "server-2", incarnation: 1 }]),
    ).toBeNull();
    expect(stuckByDesignReason([])).toBeNull();
  });

  it("reports seed 881566 (view's primary crashed unnoticed, then named) apart from violations", () => {
    const result = runChaos({ seed: 881566 });
    expect(result.unfinishedClients).toBeGreaterThan(0);
    expect(result.violation).toBeNull();
    expect(result.ok).toBe(true);
    expect(result.stuckByDesign).toMatch(/^view \d+ .* was never acknowledged: its primary server-\d+/);
  });

  it("reports clients left waiting for any other reason as a violation", () => {
    // The planted bug keeps a restarted primary, which acknowledged its view
    // before it crashed: the clients wait on it forever, and that is no design.
    const result = runChaos({ seed: 11, config: makeConfig({ mutations: ["ignorePrimaryRestart"] }) });
    expect(result.unfinishedClients).toBeGreaterThan(0);
    expect(result.stuckByDesign).toBeNull();
    expect(result.violation).toMatch(/client\(s\) did not finish/);
    expect(result.ok).toBe(false);
  });
});
