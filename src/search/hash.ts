import type { Op } from "../schemas/op.js";
import type { View } from "../schemas/view.js";

// Canonical hashes of actor states for the model checker's visited set. Two
// 32-bit lanes (murmur3-style mixing with different constants) give a 53-bit
// key: with ten million states the chance of any collision is about 1%.
//
// Each protocol writes the hashers of its states (SearchSupport.hash) with
// these parts rather than walking objects: no Object.keys, no sorting, no
// allocation, several times faster than a generic canonical serialization.
// Maps are hashed order-independently (`mapSums`: the sum of per-entry
// hashes), which is what "sorted entries" buys without the sort.

const twoTo32 = 4294967296;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** The murmur3 finalizer: every input bit affects every output bit. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Feeds values into two independent 32-bit lanes. Reset and reused, never allocated per value. */
export class Hasher {
  a = 0;
  b = 0;

  reset(seed: number): this {
    this.a = seed | 0;
    this.b = Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) | 0;
    return this;
  }

  word(w: number): void {
    let k = Math.imul(w, 0xcc9e2d51);
    k = Math.imul(rotl(k, 15), 0x1b873593);
    this.a = (Math.imul(rotl(this.a ^ k, 13), 5) + 0xe6546b64) | 0;
    let j = Math.imul(w, 0x85ebca77);
    j = Math.imul(rotl(j, 17), 0xc2b2ae3d);
    this.b = (Math.imul(rotl(this.b ^ j, 11), 9) + 0x165667b1) | 0;
  }

  /** Any number; integers (all the protocol uses) take the fast path. */
  num(n: number): void {
    if (Number.isSafeInteger(n)) {
      this.word(n | 0);
      this.word((n / twoTo32) | 0);
    } else this.str(String(n));
  }

  str(s: string): void {
    const length = s.length;
    this.word(length ^ 0x7f4a7c15);
    let i = 0;
    for (; i + 1 < length; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < length) this.word(s.charCodeAt(i));
  }

  nullableStr(s: string | null): void {
    if (s === null) this.word(0x6e756c6c);
    else this.str(s);
  }

  bool(value: boolean): void {
    this.word(value ? 0x9e3779b9 : 0x3c6ef372);
  }

  /** Mix in another hash pair (e.g. an order-independent sum of map entries). */
  pair(a: number, b: number): void {
    this.word(a);
    this.word(b);
  }

  /** The 53-bit key: safe as a number, so Sets and Maps use it without allocation. */
  key(): number {
    return (fmix(this.a) >>> 0) + (fmix(this.b) & 0x1fffff) * twoTo32;
  }
}

/** A scratch hasher for map entries, so the outer hasher keeps its lanes. */
const entryHasher = new Hasher();

/** Order-independent hash of a map: the size and the lane-wise sums of its entries' hashes. */
export function mapSums<K, V>(
  outer: Hasher,
  map: ReadonlyMap<K, V>,
  feed: (hasher: Hasher, key: K, value: V) => void,
): void {
  let sumA = 0;
  let sumB = 0;
  for (const [key, value] of map) {
    entryHasher.reset(0x2545f491);
    feed(entryHasher, key, value);
    sumA = (sumA + fmix(entryHasher.a)) | 0;
    sumB = (sumB + fmix(entryHasher.b)) | 0;
  }
  outer.num(map.size);
  outer.pair(sumA, sumB);
}

export function hashView(h: Hasher, view: View): void {
  h.num(view.viewNum);
  h.nullableStr(view.primary);
  h.nullableStr(view.backup);
  // Fed only when present, so a view without them (pb's) hashes as it always did.
  if (view.replicas !== undefined) {
    h.num(view.replicas.length);
    for (const replica of view.replicas) h.str(replica);
  }
  if (view.status !== undefined) h.str(view.status);
}

export function hashOp(h: Hasher, op: Op): void {
  h.str(op.f);
  h.str(op.key);
  if (op.f !== "get") h.str(op.value);
}
