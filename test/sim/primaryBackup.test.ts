// Primary/backup behaviour in the simulator, after DSLabs' PrimaryBackupTest
// and MIT's pbservice tests. Each test names the DESIGN §1 rule it proves;
// every client history is checked for linearizability.
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/protocols/pb/config.js";
import { isReadyPrimary } from "../../src/protocols/pb/server.js";
import type { Address } from "../../src/schemas/address.js";
import type { Op } from "../../src/schemas/op.js";
import {
  append,
  currentView,
  expectLinearizable,
  get,
  put,
  runClosedLoop,
  runConcurrently,
  runOp,
  setLink,
  startCluster,
  waitForFullView,
  serverState,
  viewServerState,
  waitForView,
} from "../support/simCluster.js";

const { pingMs, pingCheckMs } = defaultConfig;

describe("primary/backup", () => {
  it("serves basic put, append and get, missing keys reading empty", () => {
    const sim = startCluster();
    waitForFullView(sim);
    expect(runOp(sim, "client-1", get("a"))).toBe("");
    runOp(sim, "client-1", put("a", "x"));
    runOp(sim, "client-1", append("a", "y"));
    expect(runOp(sim, "client-1", get("a"))).toBe("xy");
    runOp(sim, "client-1", put("a", "z"));
    expect(runOp(sim, "client-1", get("a"))).toBe("z");
    expectLinearizable(sim);
  });

  it("chooses the first server to ping as primary, and a backup that receives the state", () => {
    const sim = startCluster({ seed: 3 });
    const view = waitForFullView(sim);
    expect(view.viewNum).toBe(2);
    expect(view.primary).not.toBeNull();
    const backup = serverState(sim, view.backup!)!;
    expect(backup.role).toBe("backup");
    expect(backup.app).not.toBeNull();
    expect(isReadyPrimary(serverState(sim, view.primary!)!)).toBe(true);
  });

  it("keeps view-server traffic within 2 messages per node per ping interval; clients cache the view", () => {
    const sim = startCluster({ clients: 3 });
    waitForFullView(sim);
    const toViewServer = (node: string): number => sim.sentBy(node, ["Ping", "GetView"]);
    const before = new Map(sim.addresses().map((node) => [node, toViewServer(node)]));
    const startMs = sim.nowMs;
    const plans = new Map<Address, Op[]>(
      ["client-1", "client-2", "client-3"].map((c) => [
        c,
        Array.from({ length: 100 }, (_, i) => append("k", `${c}.${i} `)),
      ]),
    );
    runConcurrently(sim, plans);
    const intervals = (sim.nowMs - startMs) / pingMs;
    for (const node of sim.addresses().filter((a) => a !== "viewserver")) {
      const sent = toViewServer(node) - before.get(node)!;
      expect(sent, node).toBeLessThanOrEqual(2 * Math.ceil(intervals));
      // A client asks once, before its first operation, then keeps the view while it works.
      if (node.startsWith("client-")) expect(sent, node).toBeLessThanOrEqual(1);
    }
    expectLinearizable(sim);
  });

  it("fails over to the backup with all data when the primary crashes", () => {
    const sim = startCluster();
    const view = waitForFullView(sim);
    for (let i = 0; i < 20; i++) runOp(sim, "client-1", put(`k${i}`, `v${i}`));
    sim.crash(view.primary!);
    const next = waitForView(sim, (v) => v.primary === view.backup);
    expect(next.viewNum).toBeGreaterThan(view.viewNum);
    for (let i = 0; i < 20; i++) expect(runOp(sim, "client-1", get(`k${i}`))).toBe(`v${i}`);
    expectLinearizable(sim);
  });

  it("never serves when every server was killed and a fresh one started", () => {
    const sim = startCluster();
    waitForFullView(sim);
    runOp(sim, "client-1", put("a", "1"));
    for (const server of ["server-1", "server-2", "server-3"]) sim.crash(server);
    sim.runFor(3 * pingCheckMs);
    sim.addNode("server-4", "server");
    sim.invoke("client-1", get("a"));
    sim.runFor(4 * pingCheckMs);
    expect(sim.isBusy("client-1")).toBe(true);
    expect(sim.completed).toHaveLength(1);
    expect(currentView(sim).primary).not.toBe("server-4");
  });

  it("restarted primary of view 1 does not come back empty (same name, new incarnation)", () => {
    const sim = startCluster({ servers: 1 });
    waitForView(sim, (v) => v.primary === "server-1");
    runOp(sim, "client-1", put("a", "1"));
    sim.crash("server-1");
    sim.restart("server-1");
    sim.invoke("client-1", get("a"));
    sim.runFor(4 * pingCheckMs);
    expect(sim.isBusy("client-1")).toBe(true);
  });

  it("applies 100 appends exactly once under 20% loss (at-most-once)", () => {
    const sim = startCluster({ seed: 7 });
    waitForFullView(sim);
    setLink(sim, { drop: 0.2 });
    for (let i = 0; i < 100; i++) runOp(sim, "client-1", append("k", `${i} `));
    setLink(sim, { drop: 0 });
    const expected = Array.from({ length: 100 }, (_, i) => `${i} `).join("");
    expect(runOp(sim, "client-1", get("k"))).toBe(expected);
    expectLinearizable(sim);
  });

  it("completes a put issued right after the backup fails", () => {
    const sim = startCluster({ seed: 11 });
    const view = waitForFullView(sim);
    runOp(sim, "client-1", put("a", "1"));
    sim.crash(view.backup!);
    runOp(sim, "client-1", put("a", "2"));
    expect(runOp(sim, "client-1", get("a"))).toBe("2");
    expectLinearizable(sim);
  });

  it("keeps serving when the backup dies and then its replacement, before the transfer lands (a single failure each)", () => {
    const sim = startCluster({ seed: 17 });
    const view = waitForFullView(sim);
    runOp(sim, "client-1", put("a", "1"));
    sim.crash(view.backup!);
    // The view server picks the idle server; it dies before the primary even learned the view.
    const chosen = sim.runUntil(() => {
      const next = viewServerState(sim)!.view;
      return next.viewNum > view.viewNum && next.backup !== null;
    }, 5_000);
    expect(chosen).toBe(true);
    const unacknowledged = currentView(sim);
    expect(viewServerState(sim)!.primaryAcked).toBe(false);
    expect(serverState(sim, unacknowledged.backup!)!.app).toBeNull();
    sim.crash(unacknowledged.backup!);
    // The primary holds every write: the view server replaces the lost backup without its ack.
    runOp(sim, "client-1", put("a", "2"));
    expect(runOp(sim, "client-1", get("a"))).toBe("2");
    expect(currentView(sim)).toMatchObject({ primary: view.primary, backup: null });
    expectLinearizable(sim);
  });

  it("completes a put issued right after the primary fails", () => {
    const sim = startCluster({ seed: 13 });
    const view = waitForFullView(sim);
    runOp(sim, "client-1", put("a", "1"));
    sim.crash(view.primary!);
    runOp(sim, "client-1", put("a", "2"));
    expect(runOp(sim, "client-1", get("a"))).toBe("2");
    expectLinearizable(sim);
  });

  for (const [label, drop] of [
    ["reliable", 0],
    ["20% loss", 0.2],
  ] as const) {
    for (const f of ["put", "append"] as const) {
      it(`3 clients × 100 concurrent ${f}s on the same keys (${label}): primary and promoted backup agree`, () => {
        const sim = startCluster({ seed: 17, clients: 3 });
        waitForFullView(sim);
        setLink(sim, { drop });
        // Each write is followed by a read of the same key: without reads, a history of
        // 100 concurrent appends has factorially many orders for the checker to try.
        const plans = new Map<Address, Op[]>(
          ["client-1", "client-2", "client-3"].map((c) => [
            c,
            Array.from({ length: 100 }, (_, i) => [
              { f, key: `k${i % 3}`, value: `${c}.${i} ` } as Op,
              get(`k${i % 3}`),
            ]).flat(),
          ]),
        );
        runConcurrently(sim, plans);
        setLink(sim, { drop: 0 });
        const view = waitForFullView(sim); // loss may have changed the view; settle into a full one
        sim.runFor(2 * pingMs); // let the last forwards settle
        const primary = serverState(sim, view.primary!)!.app!;
        const backup = serverState(sim, view.backup!)!.app!;
        expect([...backup.store]).toEqual([...primary.store]);
        expect([...backup.lastByClient]).toEqual([...primary.lastByClient]);
        const values = [0, 1, 2].map((i) => primary.store.get(`k${i}`));
        if (f === "append") {
          const appended = values.flatMap((value) => value!.split(" ").filter((token) => token !== ""));
          expect(new Set(appended).size).toBe(300); // every append exactly once
        }
        sim.crash(view.primary!);
        waitForView(sim, (v) => v.primary === view.backup);
        for (let i = 0; i < 3; i++) expect(runOp(sim, "client-1", get(`k${i}`))).toBe(values[i]);
        expectLinearizable(sim);
      });
    }
  }

  it("survives 30 s of repeated crashes and restarts with no client op waiting 5 s or more", () => {
    const sim = startCluster({ seed: 23, clients: 3 });
    waitForFullView(sim);
    let nextServer = 4;
    const servers = ["server-1", "server-2", "server-3"];
    const nextOp = (client: Address, i: number): Op => {
      const key = `k${i % 5}`;
      return i % 3 === 0
        ? put(key, `${client}.${i} `)
        : i % 3 === 1
          ? append(key, `${client}.${i} `)
          : get(key);
    };
    // Every 1.5 s: crash the primary or backup (never both in one view), restart it, or add a server.
    for (let round = 1; round <= 19; round++) {
      sim.schedule(round * 1_500, () => {
        const view = currentView(sim);
        if (round % 3 === 0) {
          const name = `server-${nextServer++}`;
          servers.push(name);
          sim.addNode(name, "server");
        } else {
          const victim = round % 2 === 0 ? view.primary : view.backup;
          if (victim !== null && view.backup !== null && viewServerState(sim)!.primaryAcked) {
            sim.crash(victim);
            sim.schedule(300, () => sim.restart(victim));
          }
        }
      });
    }
    runClosedLoop(sim, ["client-1", "client-2", "client-3"], nextOp, 30_000);
    let waitMaxMs = sim.outstandingWaitMaxMs();
    for (const done of sim.completed) waitMaxMs = Math.max(waitMaxMs, done.completedAtMs - done.invokedAtMs);
    expect(sim.stats.crashes).toBeGreaterThanOrEqual(10);
    expect(sim.completed.length).toBeGreaterThan(1000);
    expect(waitMaxMs).toBeLessThan(5_000);
    expectLinearizable(sim);
  });

  it("an old primary cut off from the view server never serves a stale get (MIT Partition1/2)", () => {
    const sim = startCluster({ seed: 29, clients: 2 });
    const view = waitForFullView(sim);
    const oldPrimary = view.primary!;
    runOp(sim, "client-1", put("a", "old"));
    // client-2 learns the view now, so that later it still believes the old one.
    expect(runOp(sim, "client-2", get("a"))).toBe("old");
    // Cut the primary from the view server only: clients and the backup still reach it.
    sim.network.cut(oldPrimary, "viewserver");
    const next = waitForView(sim, (v) => v.primary === view.backup && v.backup !== null);
    runOp(sim, "client-1", put("a", "new"));
    // The old primary is alive and still thinks it is primary of the old view.
    expect(serverState(sim, oldPrimary)!.role).toBe("primary");
    expect(serverState(sim, oldPrimary)!.view.viewNum).toBeLessThan(next.viewNum);
    const requestsToOldPrimary = (): number =>
      sim
        .trace()
        .filter((line) => line.includes(`deliver client-2 -> ${oldPrimary} `) && line.includes("Request"))
        .length;
    const before = requestsToOldPrimary();
    const forwardsBefore = sim.sentBy(oldPrimary, ["Forward"]);
    expect(runOp(sim, "client-2", get("a"))).toBe("new");
    // The get did reach the old primary, which tried to run it through its old backup.
    expect(requestsToOldPrimary()).toBeGreaterThan(before);
    expect(sim.sentBy(oldPrimary, ["Forward"])).toBeGreaterThan(forwardsBefore);
    expectLinearizable(sim);
  });
});
