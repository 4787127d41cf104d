// Installing a new backup for a large store, on the broker (issue 14 point 8):
// for each store size, a fresh cluster (view server + 3 servers) is filled
// with keys of 1000-byte values, then the backup is crashed while 4 clients
// keep running get/put/append. Reported per size: the time from the view
// that names the new backup to the primary hearing it installed the state
// (the transfer), the MB/s that makes, the longest any client operation
// waited from the crash until the transfer was done, and each server's RSS
// after the transfer.
// Run: npx tsx scripts/bench-transfer.ts [--sizes 1,10,100] [--json]
import { nanoid } from "nanoid";
import { defaultConfig } from "../src/protocols/pb/config.js";
import { protocolNamed } from "../src/protocols/registry.js";
import { fillKeys } from "../src/broker/fill.js";
import { createLogger } from "../src/broker/logger.js";
import { discoverBroker } from "../src/broker/discovery.js";
import { ClosedLoop, type OpSample } from "../src/bench/closedLoop.js";
import { BenchCluster, sleep } from "../src/bench/cluster.js";
import { readRssMb } from "../src/bench/memory.js";
import { benchOps } from "../src/bench/workload.js";

const valueBytes = 1000;
const loadClients = 4;
const timeoutMs = 600_000;
const settleMs = 15_000;

interface Row {
  storeMb: number;
  keys: number;
  fillS: number;
  fillMbPerS: number;
  installMs: number;
  transferMbPerS: number;
  longestWaitMs: number;
  rssMb: Record<string, number | null>;
  /** After `settleMs` without load. */
  settledRssMb: Record<string, number | null>;
}

const sizesArgument = process.argv[process.argv.indexOf("--sizes") + 1];
const sizesMb =
  process.argv.includes("--sizes") && sizesArgument !== undefined
    ? sizesArgument.split(",").map(Number)
    : [1, 10, 100];
const log = createLogger({ name: "bench-transfer", verbose: false });
const broker = await discoverBroker({ cluster: "bench-transfer", mayStart: false });
const rows: Row[] = [];
for (const storeMb of sizesMb) rows.push(await measure(storeMb));
if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
else {
  console.log(
    "store MB | keys    | fill s | install ms | transfer MB/s | longest client wait ms | RSS MB (servers) | RSS MB 15 s later",
  );
  for (const row of rows) {
    const rss = [row.rssMb, row.settledRssMb].map((byNode) =>
      Object.entries(byNode)
        .map(([node, mb]) => `${node} ${mb ?? "?"}`)
        .join(", "),
    );
    console.log(
      `${String(row.storeMb).padStart(8)} | ${String(row.keys).padEnd(7)} | ${String(row.fillS).padStart(6)} | ${String(row.installMs).padStart(10)} | ${String(row.transferMbPerS).padStart(13)} | ${String(row.longestWaitMs).padStart(22)} | ${rss[0]} | ${rss[1]}`,
    );
  }
}
process.exit(0);

async function measure(storeMb: number): Promise<Row> {
  const keys = Math.round((storeMb * 1e6) / valueBytes);
  const cluster = await BenchCluster.start(
    {
      system: "pbkv",
      label: `transfer${storeMb}`,
      servers: 3,
      actors: "pbkv",
      run: { protocol: protocolNamed("pb"), config: defaultConfig },
    },
    {
      url: broker.url,
      prefix: `h14-bench-${nanoid(4)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "x")}`,
      log,
      logDirectory: "bench-logs",
      opTimeoutMs: 5_000,
      nodeArgs: [],
    },
  );
  try {
    await cluster.ready(60_000);
    const fill = await fillKeys({
      clients: cluster.clients,
      workers: 16,
      keys,
      valueBytes,
      opTimeoutMs: 5_000,
    });
    const before = await cluster.waitForServingView(timeoutMs, (view) => view.backup !== null);
    await cluster.pool.ensure(loadClients);
    let longestWaitMs = 0;
    let crashedAtMs = Infinity;
    let transferDone = false;
    const loop = new ClosedLoop({
      pool: cluster.pool,
      workers: loadClients,
      nextOp: benchOps(),
      opTimeoutMs: 60_000,
      onOp: (sample: OpSample) => {
        if (sample.invokedMs >= crashedAtMs || (sample.completedMs >= crashedAtMs && !transferDone))
          longestWaitMs = Math.max(longestWaitMs, sample.completedMs - sample.invokedMs);
      },
    });
    loop.start();
    await sleep(1_000);
    const eventsFrom = cluster.events.length;
    crashedAtMs = performance.now();
    cluster.control({ type: "crash", node: before.backup! });
    const view = await cluster.waitForEvent(
      (event) => event.type === "view" && event.node === "viewserver" && event.view.viewNum > before.viewNum,
      timeoutMs,
      "the view with a new backup",
      eventsFrom,
    );
    const transfer = await cluster.waitForEvent(
      (event) => event.type === "transfer" && event.node === before.primary,
      timeoutMs,
      "the new backup installed the state",
      eventsFrom,
    );
    transferDone = true;
    // Operations outstanding at the end of the transfer count too.
    await sleep(500);
    await loop.stop();
    const installMs = Math.max(1, transfer.at - view.at);
    const rssMb = serversRss(cluster);
    // The same servers once idle: V8 gives back heap it no longer needs (the garbage of the fill
    // and of the transfer's encoding) only after a while without allocation.
    await sleep(settleMs);
    const settledRssMb = serversRss(cluster);
    return {
      storeMb,
      keys,
      fillS: Math.round(fill.elapsedMs / 100) / 10,
      fillMbPerS: Math.round((fill.bytes / 1e3 / fill.elapsedMs) * 10) / 10,
      installMs,
      transferMbPerS: Math.round((fill.bytes / 1e3 / installMs) * 10) / 10,
      longestWaitMs: Math.round(longestWaitMs),
      rssMb,
      settledRssMb,
    };
  } finally {
    await cluster.stop();
  }
}

function serversRss(cluster: BenchCluster): Record<string, number | null> {
  const rssMb: Record<string, number | null> = {};
  for (const node of cluster.serverAddresses) {
    const pid = cluster.pidOf(node);
    rssMb[node] = pid === undefined ? null : readRssMb(pid);
  }
  return rssMb;
}
