// A map from pairs of non-negative int32 to int32, in typed arrays with open
// addressing. The model's transition cache meets hundreds of thousands of new
// (state, op) pairs; one JS Map per op costs several times more.

const capacityInitial = 1024;

export class PairMap {
  /** Slot → entry index, or -1 when empty. Capacity is a power of two, kept at most half full. */
  private slots = new Int32Array(capacityInitial).fill(-1);
  private firsts = new Int32Array(capacityInitial / 2);
  private seconds = new Int32Array(capacityInitial / 2);
  private values = new Int32Array(capacityInitial / 2);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The value stored for (first, second), or -1. */
  get(first: number, second: number): number {
    const mask = this.slots.length - 1;
    for (let slot = pairHash(first, second) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === -1) return -1;
      if (this.firsts[entry] === first && this.seconds[entry] === second) return this.values[entry]!;
    }
  }

  /** Stores a value for a pair not yet present (the caller has just missed with `get`). */
  add(first: number, second: number, value: number): void {
    if (this.count === this.values.length) this.grow();
    const entry = this.count++;
    this.firsts[entry] = first;
    this.seconds[entry] = second;
    this.values[entry] = value;
    this.place(entry);
  }

  private place(entry: number): void {
    const mask = this.slots.length - 1;
    let slot = pairHash(this.firsts[entry]!, this.seconds[entry]!) & mask;
    while (this.slots[slot] !== -1) slot = (slot + 1) & mask;
    this.slots[slot] = entry;
  }

  private grow(): void {
    const capacity = this.slots.length * 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.firsts = resized(this.firsts, capacity / 2);
    this.seconds = resized(this.seconds, capacity / 2);
    this.values = resized(this.values, capacity / 2);
    for (let entry = 0; entry < this.count; entry++) this.place(entry);
  }
}

function pairHash(first: number, second: number): number {
  let hash = Math.imul(first, 0x9e3779b1) ^ Math.imul(second + 0x7f4a7c15, 0x85ebca6b);
  hash ^= hash >>> 15;
  return Math.imul(hash, 0x2c1b3c6d) ^ (hash >>> 13);
}

/** A copy of `array` with room for `length` elements. */
export function resized(array: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const copy = new Int32Array(length);
  copy.set(array.subarray(0, Math.min(array.length, length)));
  return copy;
}
