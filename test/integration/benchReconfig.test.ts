// The bench's reconfiguration rounds (issue 19, item 5) on a VR cluster of
// the bench's own kind (3 replicas, spare slots started on request, an open
// cluster): with clients running, round 1 grows the group by a spare slot
// (3 -> 4), round 2 takes the primary out (4 -> 3; it retires, which is no
// dead node). Each round's figures are present and sane: the epoch rose,
// clients waited (pause > 0) and were served before and after. Their size
// is never checked: the machine is shared.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { nanoid } from "nanoid";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BenchCluster } from "../../src/bench/cluster.js";
import { Progress } from "../../src/bench/progress.js";
import { runReconfigurations } from "../../src/bench/reconfig.js";
import { benchMixOf, benchOps } from "../../src/bench/workload.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { ReconfigurationReport } from "../../src/schemas/bench.js";

const protocol = protocolNamed("vr");
const log = pino({ level: process.env["PBKV_TEST_LOG"] ?? "error" });
const logDirectory = mkdtempSync(path.join(os.tmpdir(), "pbkv-hbr-"));
let cluster: BenchCluster;

describe("the bench's reconfiguration rounds (vr)", () => {
  beforeAll(async () => {
    cluster = await BenchCluster.start(
      {
        system: "pbkv",
        label: "vr",
        servers: 3,
        actors: "pbkv",
        run: { protocol, config: protocol.config.make({}) },
      },
      {
        url: inject("amqpUrl"),
        prefix: `hbr-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`,
        log,
        logDirectory,
        opTimeoutMs: 10_000,
        nodeArgs: [],
      },
    );
    await cluster.ready(60_000);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(logDirectory, { recursive: true, force: true });
  }, 30_000);

  it("grows the group by a spare slot, then takes its primary out, and measures each pause", async () => {
    const report = await runReconfigurations(cluster, {
      rounds: 2,
      clients: 4,
      nextOp: benchOps(benchMixOf(0.5)),
      opTimeoutMs: 10_000,
      steadyMs: 300,
      roundTimeoutMs: 30_000,
      progress: new Progress(process.stderr, false),
      log,
    });
    console.log(`[benchReconfig] ${JSON.stringify(report)}`);
    expect(ReconfigurationReport.parse(report)).toEqual(report);
    const [grow, shrink] = report.rounds;
    expect(grow).toMatchObject({
      kind: "grow",
      epochBefore: 0,
      epochAfter: 1,
      membersBefore: ["server-1", "server-2", "server-3"],
      membersAfter: ["server-1", "server-2", "server-3", "server-4"],
      added: ["server-4"],
      removed: [],
    });
    expect(shrink).toMatchObject({ kind: "shrink", epochBefore: 1, epochAfter: 2, added: [] });
    expect(shrink?.removed).toHaveLength(1);
    expect(shrink?.membersAfter).toEqual(
      grow?.membersAfter.filter((member) => !shrink?.removed.includes(member)),
    );
    for (const round of report.rounds) {
      expect(round.pauseMs, round.kind).toBeGreaterThan(0);
      // Those outstanding at the request are among those in flight until the epoch ran.
      expect(round.requestWaitMs).toBeLessThanOrEqual(round.pauseMs);
      expect(round.epochRunningMs).toBeGreaterThan(0);
      expect(round.pauseMs).toBeLessThan(30_000);
      expect(round.opsPerSecBefore).toBeGreaterThan(0);
      expect(round.opsPerSecAfter).toBeGreaterThan(0);
    }
    expect(report.pauseMaxMs).toBe(Math.max(grow?.pauseMs ?? 0, shrink?.pauseMs ?? 0));
    // The removed primary retired on purpose: the cluster counts as healthy.
    expect(() => cluster.assertHealthy()).not.toThrow();
    const view = await cluster.waitForServingView(10_000);
    expect(view).toMatchObject({ epoch: 2, replicas: shrink?.membersAfter });
  }, 120_000);
});
