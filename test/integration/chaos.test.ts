// Chaos on the real broker, the short CI variant of `npm run chaos` (DESIGN §1
// fault model, §4 bad input, §5 faults carried out by the broker): one run of
// about 20 s with the bad-input campaign per protocol. Nemesis within the fault model
// (loss, duplication, delay, the primary cut off from the view server,
// crashes, SIGKILLs, restarts, broker connection kills), then heal: the
// history is linearizable, no acknowledged write is lost, every client
// finishes, no node process crashes, and every bad message is accounted for.
// VR's run also reconfigures its group among the faults (--reconfigure): at
// least one reconfiguration is done and the epochs rise.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, inject, it } from "vitest";
import { protocolNamed } from "../../src/protocols/registry.js";
import { brokerControl } from "../../src/chaos/brokerControl.js";
import type { ChaosCluster } from "../../src/chaos/cluster.js";
import { runChaosOnce } from "../../src/chaos/run.js";
import { testTimings } from "./harness.js";

// VR's replicas get looser timers than its defaults: the suite shares 2 busy cores.
// Chain runs a chain of three and a spare (the tail cut off from the master is its partition).
const runs = [
  { protocol: protocolNamed("pb"), settings: testTimings, servers: 3, reconfigure: false },
  {
    protocol: protocolNamed("vr"),
    settings: { ...testTimings, viewChangeTimeoutMs: 300, tickMs: 25 },
    servers: 3,
    reconfigure: true,
  },
  { protocol: protocolNamed("chain"), settings: testTimings, servers: 4, reconfigure: false },
];

describe.each(runs)("chaos on the broker ($protocol.name)", (run) => {
  const { protocol, settings, servers, reconfigure } = run;
  let active: ChaosCluster | null = null;
  afterAll(async () => {
    await active?.stop(); // only when the run itself failed to clean up
  });

  it("one run with the nemesis and bad input: no violation, no lost write, no crash", async () => {
    const outDirectory = mkdtempSync(path.join(os.tmpdir(), "pbkv-chaos-test-"));
    const seed = Math.floor(Math.random() * 1_000_000);
    const result = await runChaosOnce({
      url: inject("amqpUrl"),
      seed,
      servers,
      clients: 4,
      keys: 4,
      durationMs: 18_000,
      settleMs: 15_000,
      opTimeoutMs: 4_000,
      protocol,
      config: protocol.config.make(settings),
      garbageRatePerSecond: 100,
      brokerControl: brokerControl(inject("brokerControl")),
      outDirectory,
      log: pino({ level: process.env["PBKV_TEST_LOG"] ?? "error" }),
      checkBudgetMs: 30_000,
      pauseMs: [150, 900],
      reconfigure,
      // A helper sharing the broker names its clusters its own way.
      clusterPrefix: process.env["PBKV_TEST_CLUSTER_PREFIX"] ?? "chaos",
      onCluster: (cluster) => (active = cluster),
    });
    const faults = Object.values(result.faults).reduce((sum, count) => sum + count, 0);
    console.log(
      `[chaos ${protocol.name}] seed ${seed}: ${result.ok ? "ok" : "FAILED"} in ${result.wallSeconds} s, ${result.ops.total} ops (${result.ops.info} info), ${faults} faults ${JSON.stringify(result.faults)}, losses ${JSON.stringify(result.roleLosses)}, ${result.garbage?.sent ?? 0} bad messages, max wait ${result.maxClientWaitMs} ms`,
    );
    const context = `seed ${seed}: ${result.problems.join("; ")}\nreport ${result.report}\n${result.timeline.join("\n")}`;
    expect(result.problems, context).toEqual([]);
    expect(result.linearizable, context).toBe(true);
    expect(result.lostAcknowledgedWrites, context).toBe(0);
    expect(result.crashedProcesses, context).toBe(0);
    expect(result.unfinishedClients, context).toBe(0);
    expect(result.ops.ok, context).toBeGreaterThan(10);
    expect(faults, context).toBeGreaterThan(3);
    // Thousands of bad messages, every one accounted for.
    const garbage = result.garbage;
    expect(garbage?.sent ?? 0, context).toBeGreaterThan(1_000);
    expect(garbage?.unaccounted, context).toBe(0);
    expect(garbage?.rejected ?? 0, context).toBeGreaterThan(0);
    expect(garbage?.refusedByProtocol ?? 0, context).toBeGreaterThan(0);
    expect(garbage?.controlRejections ?? 0, context).toBeGreaterThan(0);
    const reconfigurations = result.reconfigurations;
    if (reconfigure) {
      console.log(`[chaos ${protocol.name}] reconfigurations: ${JSON.stringify(reconfigurations)}`);
      expect(reconfigurations?.done.length ?? 0, context).toBeGreaterThan(0);
      expect(reconfigurations?.epochs.last ?? 0, context).toBeGreaterThan(
        reconfigurations?.epochs.first ?? 0,
      );
    } else expect(reconfigurations, context).toBeNull();
    rmSync(outDirectory, { recursive: true, force: true });
  });
});
