/**
 * What the queue orders: a time, then the insertion order the queue stamps on
 * push, so that events at the same instant run in the order they were
 * scheduled and a run is reproducible.
 */
export interface Scheduled {
  readonly time: number;
  order: number;
}

/**
 * A binary min-heap of events ordered by time, then by insertion order. It
 * holds the caller's objects themselves rather than wrapping each in an entry:
 * the simulator pushes one event per message copy and per timer, and a
 * wrapper would double what the garbage collector has to sweep.
 */
export class EventQueue<T extends Scheduled> {
  private readonly heap: T[] = [];
  private nextOrder = 0;

  get size(): number {
    return this.heap.length;
  }

  push(entry: T): void {
    entry.order = this.nextOrder++;
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(x: Scheduled, y: Scheduled): boolean {
  return x.time < y.time || (x.time === y.time && x.order < y.order);
}
