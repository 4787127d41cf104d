import type { Address } from "../schemas/address.js";
import type { Op } from "../schemas/op.js";
import type { Random } from "./random.js";
import type { Simulator } from "./simulator.js";

export interface WorkloadOptions {
  clients: Address[];
  keys: string[];
  /** Stop invoking new operations after this virtual time. */
  untilMs: number;
  /** Pause between an answer and the next invoke, uniform in [0, thinkMsMax]. */
  thinkMsMax?: number;
}

/**
 * Closed-loop clients: each invokes a random get, put or append as soon as its
 * previous operation completes. Appended values are unique (`x <client> <n> y`)
 * so the checker can tell every write apart.
 */
export function startWorkload(sim: Simulator, random: Random, options: WorkloadOptions): void {
  const counters = new Map<Address, number>();
  const thinkMsMax = options.thinkMsMax ?? 0;
  const next = (client: Address): void => {
    if (sim.nowMs >= options.untilMs || !sim.isUp(client) || sim.isBusy(client)) return;
    const n = (counters.get(client) ?? 0) + 1;
    counters.set(client, n);
    sim.invoke(client, randomOp(random, options.keys, `x ${client} ${n} y`));
  };
  sim.onResult((done) => {
    if (!options.clients.includes(done.client)) return;
    const think = thinkMsMax > 0 ? random.between(0, thinkMsMax) : 0;
    sim.schedule(think, () => next(done.client));
  });
  for (const client of options.clients) sim.schedule(random.between(0, 5), () => next(client));
}

function randomOp(random: Random, keys: string[], value: string): Op {
  const key = random.pick(keys);
  const roll = random.next();
  if (roll < 0.5) return { f: "get", key };
  if (roll < 0.75) return { f: "put", key, value };
  return { f: "append", key, value };
}
