// The benchmark's operations: small keys and values, 50% get, 25% put, 25%
// append over 100 keys. Puts reset a key as often as appends grow it, so
// values stay a few appends long however many operations run.
import type { Op } from "../schemas/op.js";

export const benchKeyCount = 100;
export const benchMix = Object.freeze({ get: 0.5, put: 0.25, append: 0.25 });

/** The n-th operation (from 0) of a worker. */
export type NextOp = (worker: number, n: number) => Op;

export function benchOps(random: () => number = Math.random): NextOp {
  return (worker, n) => {
    const key = `k${Math.floor(random() * benchKeyCount)}`;
    const draw = random();
    if (draw < benchMix.get) return { f: "get", key };
    const value = `${worker}.${n}`;
    if (draw < benchMix.get + benchMix.put) return { f: "put", key, value };
    return { f: "append", key, value };
  };
}

/** The median of the samples (the mean of the middle two for an even count); NaN for none. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/** Rounds to `digits` decimals. */
export function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
