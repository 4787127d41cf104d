// Cluster-wide invariants (issue 15 point 3): pb's backupConsistent, checked
// by the simulator after every event and by the model checker on every
// state, and one primary per view (from the `served` events), written once
// for both. Each fires on a planted bug.
import { describe, expect, it } from "vitest";
import { emptyApp } from "../../src/kv/atMostOnce.js";
import { backupConsistent } from "../../src/protocols/pb/invariants.js";
import type { ServerState } from "../../src/protocols/pb/server.js";
import type { LiveNode } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { findScenario } from "../../src/protocols/pb/search/scenarios.js";
import { runScenario } from "../../src/search/search.js";
import { runChaos } from "../../src/sim/chaos.js";

const pb = protocolNamed("pb");

function server(
  role: ServerState["role"],
  applied: number,
  store: [string, string][],
  pending: ServerState["pending"] = [],
): ServerState {
  return {
    incarnation: role === "primary" ? 1 : 2,
    view: { viewNum: 2, primary: "server-1", backup: "server-2" },
    role,
    ackedViewNum: 2,
    // client-1's and client-2's sessions (1 and 2) are open: the forwarded entries name them.
    app: {
      ...emptyApp(),
      applied,
      store: new Map(store),
      lastByClient: new Map([
        ["client-1", { id: 1, seq: 0, refused: false, answer: "", activeMs: 0 }],
        ["client-2", { id: 2, seq: 0, refused: false, answer: "", activeMs: 0 }],
      ]),
    },
    transferAcked: true,
    backupIncarnation: 2,
    outgoing: null,
    incoming: null,
    pending,
    inFlightEnds: [],
    sentUpTo: applied + pending.length,
    sentUpToLastTick: applied + pending.length,
    buffered: new Map(),
  };
}

function cluster(primary: ServerState, backup: ServerState): Map<string, LiveNode> {
  return new Map<string, LiveNode>([
    ["server-1", { role: "server", state: primary }],
    ["server-2", { role: "server", state: backup }],
  ]);
}

/** The first of seeds 1…30 whose chaos run fails with `mutant` on, and its violation. */
function firstViolation(mutant: string): string | null {
  const config = pb.config.make({ mutations: [mutant] });
  for (let seed = 1; seed <= 30; seed++) {
    const result = runChaos({ seed, protocol: pb, config, chaosMs: 5_000 });
    if (result.violation !== null) return result.violation;
  }
  return null;
}

describe("pb's backupConsistent", () => {
  const put = (client: string, seq: number, key: string, value: string) => ({
    type: "op" as const,
    client,
    session: client === "client-1" ? 1 : 2,
    seq,
    op: { f: "put" as const, key, value },
    atMs: 0,
  });

  it("holds when the backup applied some of the primary's pending operations, a new key and a duplicate among them", () => {
    const pending = [
      put("client-1", 1, "b", "1"),
      put("client-1", 1, "b", "2"),
      put("client-2", 1, "a", "y"),
    ];
    const primary = server("primary", 4, [["a", "x"]], pending);
    expect(backupConsistent.check(cluster(primary, server("backup", 4, [["a", "x"]])))).toBeNull();
    expect(
      backupConsistent.check(
        cluster(
          primary,
          server("backup", 6, [
            ["a", "x"],
            ["b", "1"],
          ]),
        ),
      ),
    ).toBeNull();
    expect(
      backupConsistent.check(
        cluster(
          primary,
          server("backup", 7, [
            ["a", "y"],
            ["b", "1"],
          ]),
        ),
      ),
    ).toBeNull();
  });

  it("fires when the backup's store differs from the primary's with those operations applied", () => {
    const primary = server("primary", 4, [["a", "x"]], [put("client-1", 1, "b", "1")]);
    expect(
      backupConsistent.check(
        cluster(
          primary,
          server("backup", 5, [
            ["a", "x"],
            ["b", "2"],
          ]),
        ),
      ),
    ).toMatch(/server-2 \(backup\) vs server-1 \(primary\) in view 2: the backup's store/);
    expect(
      backupConsistent.check(
        cluster(
          primary,
          server("backup", 4, [
            ["a", "x"],
            ["c", "1"],
          ]),
        ),
      ),
    ).toMatch(/is not the primary's/);
    expect(backupConsistent.check(cluster(primary, server("backup", 3, [["a", "x"]])))).toMatch(
      /fewer than the primary's/,
    );
  });

  it("is not checked between a primary and a backup of another view or process", () => {
    const primary = server("primary", 4, [["a", "x"]]);
    const stale = {
      ...server("backup", 9, []),
      view: { viewNum: 1, primary: "server-1", backup: "server-2" },
    };
    expect(backupConsistent.check(cluster(primary, stale))).toBeNull();
    expect(
      backupConsistent.check(cluster(primary, { ...server("backup", 9, []), incarnation: 5 })),
    ).toBeNull();
  });
});

describe("cluster invariants fire on planted bugs", () => {
  it("the simulator: backupConsistent on a transfer that overwrites newer forwards", () => {
    expect(firstViolation("transferOverwritesForwards")).toMatch(
      /^invariant: backupConsistent at [0-9.]+ ms: /,
    );
  });

  it("the simulator: onePrimaryPerView on a server that answers clients while not primary", () => {
    expect(firstViolation("nonPrimaryServes")).toMatch(
      /^invariant: onePrimaryPerView: server-\d and server-\d both answered clients as primary of view \d+$/,
    );
  });

  it("the model checker: backupConsistent on a backup that accepts forwards of any view", () => {
    const outcome = runScenario(findScenario("view-changes")!, {
      mutations: ["backupAcceptsAnyView"],
      timeScale: 5,
    });
    expect(outcome.violation?.invariant).toBe("backupConsistent");
  }, 120_000);

  it("the model checker: onePrimaryPerView on a server that answers clients while not primary", () => {
    const declared = findScenario("demoted-primary")!;
    // backupConsistent catches this bug first (mutants.ts); switched off to see the other rule fire.
    const scenario = {
      ...declared,
      world: { ...declared.world, invariantsOff: ["backupConsistent" as const] },
    };
    const outcome = runScenario(scenario, { mutations: ["nonPrimaryServes"], timeScale: 5 });
    expect(outcome.violation?.invariant).toBe("onePrimaryPerView");
  }, 120_000);
});
