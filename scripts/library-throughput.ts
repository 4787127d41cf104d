// The library's own throughput, to set beside redis-benchmark's figures for
// the gateway (README "Redis gateway"): C callers, each one operation at a
// time (closed loop), N puts then N gets over random keys `key:0…R-1` with a
// 3-byte value, as `redis-benchmark -t set,get -r R -d 3 -c C -n N` does.
//   npx tsx scripts/library-throughput.ts --cluster NAME [--url URL] --clients 16 --ops 20000
import { parseArgs } from "node:util";
import { connect, type KvClient } from "../src/index.js";

const { values } = parseArgs({
  options: {
    cluster: { type: "string", default: "pbkv" },
    url: { type: "string" },
    transport: { type: "string", default: "broker" },
    clients: { type: "string", default: "16" },
    ops: { type: "string", default: "20000" },
    keys: { type: "string", default: "10000" },
  },
});
const clients = Number(values.clients);
const ops = Number(values.ops);
const keys = Number(values.keys);

async function phase(kv: KvClient, name: "put" | "get"): Promise<void> {
  let next = 0;
  const latenciesMs: number[] = [];
  const startedMs = performance.now();
  const caller = async (): Promise<void> => {
    while (next < ops) {
      next += 1;
      const key = `key:${Math.floor(Math.random() * keys)}`;
      const invokedMs = performance.now();
      if (name === "put") await kv.put(key, "xxx");
      else await kv.get(key);
      latenciesMs.push(performance.now() - invokedMs);
    }
  };
  await Promise.all(Array.from({ length: clients }, caller));
  const elapsedS = (performance.now() - startedMs) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const p50 = latenciesMs[Math.floor(latenciesMs.length / 2)] ?? Number.NaN;
  console.log(
    `${name.toUpperCase()}: ${(ops / elapsedS).toFixed(0)} ops/s, p50=${p50.toFixed(2)} ms (${clients} callers)`,
  );
}

const kv = await connect({
  cluster: values.cluster,
  url: values.url,
  transport: values.transport === "memory" ? "memory" : "broker",
  poolSize: clients,
  timeoutMs: 10_000,
});
try {
  await phase(kv, "put");
  await phase(kv, "get");
} finally {
  await kv.close();
}
