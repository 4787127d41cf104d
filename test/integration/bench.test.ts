// `npm run bench -- --quick --json` end to end, as CI runs it: it starts its
// own clusters on the broker, measures every protocol (pb, vr and chain, each
// with its ceiling, unreplicated row and a failover round; chain's at its
// head, a middle server and its tail; VR also a reconfiguration round), prints
// one JSON object with issue 16's and 21's goals and cleans up.
// Only the shape and the sign of the figures are checked, never their size:
// timing goals are benchmark figures, and this machine is shared.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { rabbitmqctl } from "../../src/chaos/brokerControl.js";
import { repositoryRoot } from "../../src/broker/supervisor.js";
import { BenchReport, type FailoverReport } from "../../src/schemas/bench.js";

const execFileAsync = promisify(execFile);
/** The quick bench of the three protocols takes about 45 s; a busy machine gets more before the test gives up. */
const benchTimeoutMs = 150_000;

describe("npm run bench -- --quick --json", () => {
  it(
    "prints rows, ratios, failover and memory for every system, protocol and client count, judges the goals, and leaves nothing behind",
    async () => {
      const url = inject("amqpUrl");
      const { stdout } = await execFileAsync(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/bench.ts",
          "--quick",
          "--json",
          "--url",
          url,
          "--cluster",
          "itest-bench",
        ],
        { cwd: repositoryRoot, timeout: benchTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
      );
      const report = BenchReport.parse(JSON.parse(stdout));
      expect(report.quick).toBe(true);

      const counts = [...new Set(report.rows.map((row) => row.clients))];
      expect(counts.length).toBeGreaterThanOrEqual(1);
      for (const clients of counts) {
        const systems = report.rows.filter((row) => row.clients === clients).map((row) => row.system);
        expect(systems.sort()).toEqual(["ceiling", "pbkv", "raw", "unreplicated"]);
      }
      for (const row of report.rows) {
        expect(row.opsPerSec, `${row.system} ${row.clients}`).toBeGreaterThan(0);
        expect(row.p50Ms).toBeGreaterThan(0);
        expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
      }
      const { pbkvOverRaw, pbkvOverCeiling, pbkvOverUnreplicated, p50PbkvOverRaw } = report.ratios;
      for (const ratios of [pbkvOverRaw, pbkvOverCeiling, pbkvOverUnreplicated, p50PbkvOverRaw]) {
        expect(Object.keys(ratios).map(Number).sort()).toEqual([...counts].sort());
        for (const ratio of Object.values(ratios)) expect(ratio).toBeGreaterThan(0);
      }

      // The v1 fields are pb's (the first protocol); every protocol has its own section.
      const protocols = ["pb", "vr", "chain"];
      expect(report.setup.protocols).toEqual(protocols);
      expect(report.setup.mix).toEqual({ get: 0.5, put: 0.25, append: 0.25 });
      expect(report.protocols.map((figures) => figures.protocol)).toEqual(protocols);
      for (const figures of report.protocols) {
        for (const clients of counts) {
          const systems = figures.rows.filter((row) => row.clients === clients).map((row) => row.system);
          expect(systems.sort(), `${figures.protocol} ${clients}`).toEqual([
            "ceiling",
            "pbkv",
            "unreplicated",
          ]);
        }
        for (const row of figures.rows) {
          expect(row.protocol).toBe(figures.protocol);
          expect(row.opsPerSec, `${figures.protocol} ${row.system} ${row.clients}`).toBeGreaterThan(0);
        }
        const { overCeiling, overUnreplicated, overProtocols } = figures.ratios;
        for (const ratios of [overCeiling, overUnreplicated, ...Object.values(overProtocols)])
          expect(Object.keys(ratios).map(Number).sort()).toEqual([...counts].sort());
        expect(Object.keys(overProtocols)).toEqual(protocols.filter((name) => name !== figures.protocol));
        checkFailover(figures.failover);
      }
      expect(report.protocols[0]?.failover).toEqual(report.failover);
      expect(report.protocols[1]?.settings.replicas).toBe(3);
      // VR's group changes at run time: one round grows it by a spare slot the bench's supervisor starts.
      expect(
        report.protocols.filter((figures) => figures.reconfiguration !== undefined).map((f) => f.protocol),
      ).toEqual(["vr"]);
      const reconfiguration = report.protocols[1]?.reconfiguration;
      expect(reconfiguration?.rounds).toHaveLength(1);
      expect(reconfiguration?.rounds[0]).toMatchObject({
        kind: "grow",
        epochBefore: 0,
        epochAfter: 1,
        added: ["server-4"],
      });
      expect(reconfiguration?.pauseMedianMs).toBeGreaterThan(0);
      expect(reconfiguration?.epochRunningMedianMs).toBeGreaterThan(0);
      // Chain: a chain of 3 and a spare; a failover round at each position, the head's as its failover.
      const chain = report.protocols[2];
      expect(chain?.servers).toBe(4);
      expect(chain?.failoverByPosition?.map((failover) => failover.position)).toEqual([
        "head",
        "middle",
        "tail",
      ]);
      for (const failover of chain?.failoverByPosition ?? []) {
        checkFailover(failover);
        expect(failover.rounds[0]?.chainAfter).not.toContain(failover.rounds[0]?.crashed);
      }
      expect(chain?.failover).toEqual(chain?.failoverByPosition?.[0]);
      // --quick measures 1 and 16 clients: the throughput goal (64) says so; the outage goal has a value.
      expect(report.goals.map((goal) => goal.name)).toEqual([
        "vr-throughput",
        "vr-failover",
        "pb-latency-over-raw",
        "pb-throughput-over-raw",
        "pb-over-etcd-64",
        "pb-over-etcd-1",
      ]);
      expect(report.goals[0]?.met).toBeNull();
      expect(report.goals[0]?.notMeasured).toMatch(/64/);
      expect(report.goals[1]?.value).toBeGreaterThan(0);
      expect(typeof report.goals[1]?.met).toBe("boolean");
      // Issue 21's: the latency goal (one client) has a value; 64 clients and etcd (--quick: no peers) not measured.
      expect(report.goals[2]?.value).toBeGreaterThan(0);
      expect(report.goals.slice(3).map((goal) => goal.met)).toEqual([null, null, null]);

      const memory = report.memory;
      expect(memory?.servers.map((server) => server.node).sort()).toEqual([
        "server-1",
        "server-2",
        "server-3",
      ]);
      for (const server of memory?.servers ?? []) {
        expect(server.startMb).toBeGreaterThan(0);
        expect(server.endMb).toBeGreaterThan(0);
      }
      expect(memory?.ops).toBeGreaterThan(0);

      // Every queue and exchange of the bench's clusters is gone.
      // raw, then per protocol ceiling, unreplicated and replicated.
      expect(report.setup.clusters.length).toBe(10);
      const leftovers = await brokerNames();
      if (leftovers !== null) {
        const ours = leftovers.filter((name) =>
          report.setup.clusters.some((cluster) => name.startsWith(`${cluster}.`)),
        );
        expect(ours).toEqual([]);
      }
    },
    benchTimeoutMs + 40_000,
  );
});

function checkFailover(failover: FailoverReport | null): void {
  expect(failover).not.toBeNull();
  expect(failover?.outagesMs.length).toBeGreaterThanOrEqual(1);
  for (const outage of failover?.outagesMs ?? []) expect(outage).toBeGreaterThan(0);
  expect(failover?.medianMs).toBeGreaterThan(0);
  expect(failover?.maxMs).toBeGreaterThanOrEqual(failover?.medianMs ?? 0);
  expect(failover?.restoredMedianMs).toBeGreaterThan(0);
  expect(failover?.restoredMaxMs).toBeGreaterThanOrEqual(failover?.restoredMedianMs ?? 0);
  expect(failover?.rounds[0]?.promoted).not.toBe(failover?.rounds[0]?.crashed);
}

/** Every queue and exchange name on the broker, or null when rabbitmqctl cannot reach it. */
async function brokerNames(): Promise<string[] | null> {
  const control = inject("brokerControl");
  const run = (args: string[]): Promise<string> => rabbitmqctl(control, args);
  if (control.kind === "none") return null;
  const queues = await run(["-q", "list_queues", "name"]);
  const exchanges = await run(["-q", "list_exchanges", "name"]);
  return `${queues}\n${exchanges}`
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}
