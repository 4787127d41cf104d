// The benchmark's operations: small keys and values over 100 keys, a share of
// gets (`--read-share`, 0.5 unless told) and the updates split evenly between
// put and append. Puts reset a key as often as appends grow it, so values stay
// a few appends long however many operations run.
import type { Op } from "../schemas/op.js";

export const benchKeyCount = 100;
/** Gets among the operations unless `--read-share` says otherwise. */
export const defaultReadShare = 0.5;

/** The shares of each operation (summing to 1): what the report's `setup.mix` states. */
export interface BenchMix {
  get: number;
  put: number;
  append: number;
}

/** The n-th operation (from 0) of a worker. */
export type NextOp = (worker: number, n: number) => Op;

/** Gets at `readShare` (0 to 1), the rest half puts, half appends. */
export function benchMixOf(readShare: number): BenchMix {
  const problem = readShareProblem(readShare);
  if (problem !== null) throw new Error(problem);
  const update = (1 - readShare) / 2;
  return { get: readShare, put: update, append: update };
}

/** Why a read share is refused (a number from 0 to 1, at most two decimals), or null. */
export function readShareProblem(readShare: number): string | null {
  const inRange = Number.isFinite(readShare) && readShare >= 0 && readShare <= 1;
  // Two decimals at most: the share is a percentage the report prints whole.
  if (!inRange || Math.abs(readShare * 100 - Math.round(readShare * 100)) > 1e-9)
    return `the read share is a number from 0 to 1 with at most two decimals (e.g. 0.5 or 0.9), not ${readShare}`;
  return null;
}

/** `--read-share` as given on the command line ("0.9"); throws with a reason. */
export function parseReadShare(text: string): number {
  const readShare = text.trim() === "" ? Number.NaN : Number(text);
  const problem = readShareProblem(readShare);
  if (problem !== null) throw new Error(`--read-share: ${problem}`);
  return readShare;
}

export function benchOps(
  mix: BenchMix = benchMixOf(defaultReadShare),
  random: () => number = Math.random,
): NextOp {
  return (worker, n) => {
    const key = `k${Math.floor(random() * benchKeyCount)}`;
    const draw = random();
    if (draw < mix.get) return { f: "get", key };
    const value = `${worker}.${n}`;
    if (draw < mix.get + mix.put) return { f: "put", key, value };
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
