// How much faster than real time the simulator runs: 3 servers and 5 busy
// clients (closed loop, no think time) on a reliable network with 0.2–1 ms
// delays, for 60 simulated seconds. Run: npx tsx scripts/bench-sim.ts
import { Random } from "../src/sim/random.js";
import { Simulator } from "../src/sim/simulator.js";
import { startWorkload } from "../src/sim/workload.js";

const simulatedMs = Number(process.argv[2] ?? 60_000);
const clients = ["client-1", "client-2", "client-3", "client-4", "client-5"];
// Counts finished operations without keeping them, as the chaos runs do.
const sim = new Simulator({ seed: 1, keepCompleted: false });
sim.addCluster(3);
for (const client of clients) sim.addClient(client);
sim.runFor(300); // form the first full view
startWorkload(sim, new Random(2), { clients, keys: ["k0", "k1", "k2", "k3", "k4"], untilMs: simulatedMs });

const started = performance.now();
sim.runFor(simulatedMs);
const wallMs = performance.now() - started;
const ops = sim.stats.opsCompleted;
console.log(
  JSON.stringify({
    simulatedSeconds: simulatedMs / 1000,
    wallSeconds: +(wallMs / 1000).toFixed(3),
    speedup: Math.round(simulatedMs / wallMs),
    ops,
    opsPerWallSecond: Math.round(ops / (wallMs / 1000)),
    eventsPerWallSecond: Math.round(sim.stats.events / (wallMs / 1000)),
  }),
);
