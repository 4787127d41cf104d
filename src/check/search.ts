// The linearizability search for one key: Wing & Gong's backtracking with
// Lowe's just-in-time linearization and memoization of (linearized set, state),
// the algorithm Porcupine uses (github.com/anishathalye/porcupine).
//
// The history is a doubly linked list of call and return entries in time
// order. From the head, the search tries each op whose call comes before the
// first return still in the list: if the model accepts it and the pair
// (linearized ops, state) is new, the op is linearized (both its entries are
// unlinked) and the scan restarts at the head. Reaching a return entry means
// that op can no longer be placed: undo the last choice and try the next one.
// Undo relinks entries in reverse order, so the list is restored exactly.
//
// Ops of unknown outcome (`info`) have their return at +infinity, after every
// ok return, and need not be linearized: the search succeeds once every ok op is.
//
// One pruning specific to the register: every ok get not yet linearized comes
// after the current prefix, and the ops placed before it all start before it
// returns. So when no put (of any outcome) left to place starts before the get
// returns, only appends can come first, and the current state must be a prefix
// of what the get read. If it is not, the branch is dead: undo at once rather
// than try every order of the appends still concurrent. It is checked for the
// next ok get in call order after each step, and for any get the scan rejects.
// Without it, append-heavy keys with a handful of concurrent clients blow up.
//
// The search is resumable (`run(steps)`) so the checker can interleave keys.
import { assert } from "./assert.js";
import { RegisterModel, rejected } from "./model.js";
import { resized } from "./pairMap.js";
import type { Operation } from "./prepare.js";

export type SearchStatus = "running" | "linearizable" | "violation";

/** Where the search got stuck: its longest partial linearization and what came next. */
export interface SearchStuck {
  /** Ops (indexes into `operations`) of the longest partial linearization, in order. */
  linearized: number[];
  /** The register's value after them. */
  state: string;
  /** Ops not linearized whose call precedes the earliest pending ok return: the candidates that all failed. */
  frontier: number[];
}

const memoCapacityInitial = 1024;

export interface KeySearchOptions {
  /** The register-specific pruning of reads no order can satisfy (on by default; off only to test it). */
  pruneLostReads?: boolean;
}

export class KeySearch {
  // Linked list: nodes are call/return entries numbered in time order; the head is a sentinel.
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly nodeOperation: Int32Array;
  private readonly nodeIsCall: Uint8Array;
  private readonly callNode: Int32Array;
  private readonly returnNode: Int32Array;
  private readonly head: number;
  private readonly isOk: Uint8Array;
  private readonly isGet: Uint8Array;
  /** Put ops in call order, to find the first one not linearized. */
  private readonly putOrder: Int32Array;
  /** Ok get ops in call order, to find the next one to satisfy. */
  private readonly getOrder: Int32Array;
  private readonly model: RegisterModel;

  // Search state, saved between `run` slices.
  private cursor: number;
  private state: number;
  private depth = 0;
  private hash = 0;
  private okRemaining = 0;
  private status: SearchStatus = "running";
  private readonly stackOperation: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackFirstPut: Int32Array;
  private readonly stackFirstGet: Int32Array;
  /** Index in `putOrder` of the first put not linearized (`putOrder.length` when none). */
  private firstPut = 0;
  /** Index in `getOrder` of the first ok get not linearized. */
  private firstGet = 0;
  private readonly linearized: Uint32Array;
  /** The longest partial linearization so far; it agrees with the stack below `longestLowWater`. */
  private readonly longest: Int32Array;
  private longestLength = 0;
  private longestLowWater = 0;

  // Memo of visited (linearized set, state): an open-addressing hash set of
  // entries whose bitsets live side by side in one typed array.
  private readonly words: number;
  private readonly zobrist: Int32Array;
  /** Slot → entry, or -1; a power of two, kept at most half full. */
  private memoSlots = new Int32Array(memoCapacityInitial * 2).fill(-1);
  private memoHash = new Int32Array(memoCapacityInitial);
  private memoState = new Int32Array(memoCapacityInitial);
  private memoBits: Uint32Array;
  private memoCount = 0;

  /** Search steps taken so far (one per entry visited or undo). */
  stepsTaken = 0;

  private readonly pruneLostReads: boolean;

  constructor(
    readonly operations: readonly Operation[],
    options: KeySearchOptions = {},
  ) {
    const count = operations.length;
    this.pruneLostReads = options.pruneLostReads ?? true;
    this.model = new RegisterModel(operations);
    this.head = 2 * count;
    this.next = new Int32Array(2 * count + 1);
    this.prev = new Int32Array(2 * count + 1);
    this.nodeOperation = new Int32Array(2 * count);
    this.nodeIsCall = new Uint8Array(2 * count);
    this.callNode = new Int32Array(count);
    this.returnNode = new Int32Array(count);
    this.isOk = new Uint8Array(count);
    this.isGet = new Uint8Array(count);
    this.buildList();
    const inCallOrder = (keep: (operation: Operation) => boolean): Int32Array =>
      Int32Array.from(
        operations
          .flatMap((operation, index) => (keep(operation) ? [index] : []))
          .sort((a, b) => this.callNode[a]! - this.callNode[b]!),
      );
    this.putOrder = inCallOrder((operation) => operation.f === "put");
    this.getOrder = inCallOrder((operation) => operation.f === "get" && operation.status === "ok");
    this.cursor = this.next[this.head] ?? -1;
    this.state = this.model.initialState;
    this.stackOperation = new Int32Array(count);
    this.stackState = new Int32Array(count);
    this.stackFirstPut = new Int32Array(count);
    this.stackFirstGet = new Int32Array(count);
    this.longest = new Int32Array(count);
    this.words = Math.max(1, Math.ceil(count / 32));
    this.linearized = new Uint32Array(this.words);
    this.zobrist = zobristTable(count);
    this.memoBits = new Uint32Array(memoCapacityInitial * this.words);
  }

  /** Advances the search by at most `stepsMax` steps. */
  run(stepsMax: number): SearchStatus {
    if (this.status !== "running") return this.status;
    // Locals: the loop is the checker's hot path. Indexes are in range by construction.
    const { next, nodeOperation, nodeIsCall, callNode, isOk, isGet, zobrist, model, head } = this;
    const { stackOperation, stackState, stackFirstPut, stackFirstGet, getOrder, linearized } = this;
    let { cursor, state, depth, hash, okRemaining } = this;
    let steps = 0;
    for (; steps < stepsMax; steps++) {
      if (okRemaining === 0) {
        this.status = "linearizable";
        break;
      }
      const operation = nodeOperation[cursor]!;
      if (nodeIsCall[cursor] === 1) {
        const after = model.step(state, operation);
        if (after !== rejected && this.remember(operation, after, hash ^ zobrist[operation]!)) {
          stackOperation[depth] = operation;
          stackState[depth] = state;
          stackFirstPut[depth] = this.firstPut;
          stackFirstGet[depth] = this.firstGet;
          depth++;
          state = after;
          hash ^= zobrist[operation]!;
          okRemaining -= isOk[operation]!;
          this.lift(operation);
          this.skipLinearized();
          cursor = next[head]!;
          const nextGet = getOrder[this.firstGet];
          if (nextGet === undefined || !this.isReadLost(state, nextGet)) continue;
          // The next get can no longer be satisfied: fall through to undo this step at once.
        } else if (after !== rejected || isGet[operation] === 0 || !this.isReadLost(state, operation)) {
          cursor = next[cursor]!;
          continue;
        }
        // A get that no order of what is left can satisfy: fall through to undo.
      }
      // A return entry (its op was not linearized in time) or a lost read: undo the last choice.
      if (depth === 0) {
        this.status = "violation";
        break;
      }
      if (depth > this.longestLength) this.recordLongest(depth);
      depth--;
      if (depth < this.longestLowWater) this.longestLowWater = depth;
      const undone = stackOperation[depth]!;
      state = stackState[depth]!;
      this.firstPut = stackFirstPut[depth]!;
      this.firstGet = stackFirstGet[depth]!;
      linearized[undone >>> 5]! &= ~(1 << (undone & 31));
      hash ^= zobrist[undone]!;
      okRemaining += isOk[undone]!;
      this.unlift(undone);
      cursor = next[callNode[undone]!]!;
    }
    this.cursor = cursor;
    this.state = state;
    this.depth = depth;
    this.hash = hash;
    this.okRemaining = okRemaining;
    this.stepsTaken += steps;
    return this.status;
  }

  /** Entries in the memo: (linearized set, state) pairs visited. */
  get memoEntries(): number {
    return this.memoCount;
  }

  /** Register states met so far. */
  get stateCount(): number {
    return this.model.stateCount;
  }

  /** About how many bytes the memo and the model's states take. */
  get memoryBytes(): number {
    const memo =
      this.memoBits.byteLength +
      this.memoHash.byteLength +
      this.memoState.byteLength +
      this.memoSlots.byteLength;
    return memo + this.model.memoryBytes;
  }

  /** The longest partial linearization and the ops that could not follow it (after a violation). */
  stuck(): SearchStuck {
    assert(this.status === "violation", "stuck() is asked after a violation");
    const linearized = Array.from(this.longest.subarray(0, this.longestLength));
    const done = new Uint8Array(this.operations.length);
    let state = this.model.initialState;
    for (const operation of linearized) {
      done[operation] = 1;
      state = this.model.step(state, operation);
      assert(state !== rejected, "a recorded linearization replays");
    }
    // Nodes are numbered in time order, so positions compare as times do.
    let firstReturn = Infinity;
    this.operations.forEach((_, operation) => {
      if (done[operation] === 0 && this.isOk[operation] === 1) {
        firstReturn = Math.min(firstReturn, this.returnNode[operation]!);
      }
    });
    const frontier: number[] = [];
    this.operations.forEach((_, operation) => {
      if (done[operation] === 0 && this.callNode[operation]! < firstReturn) frontier.push(operation);
    });
    frontier.sort((a, b) => this.callNode[a]! - this.callNode[b]!);
    return { linearized, state: this.model.text(state), frontier };
  }

  /** Copies the stack's first `depth` ops as the longest partial linearization: only the part changed since the last copy. */
  private recordLongest(depth: number): void {
    this.longest.set(this.stackOperation.subarray(this.longestLowWater, depth), this.longestLowWater);
    this.longestLength = depth;
    this.longestLowWater = depth;
  }

  /** Moves `firstPut` and `firstGet` past ops now linearized. */
  private skipLinearized(): void {
    this.firstPut = this.firstNotLinearized(this.putOrder, this.firstPut);
    this.firstGet = this.firstNotLinearized(this.getOrder, this.firstGet);
  }

  private firstNotLinearized(order: Int32Array, from: number): number {
    const { linearized } = this;
    let first = from;
    while (first < order.length) {
      const operation = order[first]!;
      if ((linearized[operation >>> 5]! & (1 << (operation & 31))) === 0) break;
      first++;
    }
    return first;
  }

  /** Whether get `operation` can no longer be linearized from `state` (see the pruning above). */
  private isReadLost(state: number, operation: number): boolean {
    if (!this.pruneLostReads) return false;
    const put = this.putOrder[this.firstPut];
    if (put !== undefined && this.callNode[put]! < this.returnNode[operation]!) return false;
    return !this.model.mayReachByAppends(state, operation);
  }

  private buildList(): void {
    const count = this.operations.length;
    const entries: { operation: number; isCall: boolean; time: number }[] = [];
    this.operations.forEach((operation, index) => {
      entries.push({ operation: index, isCall: true, time: operation.call });
      entries.push({ operation: index, isCall: false, time: operation.return });
      this.isOk[index] = operation.status === "ok" ? 1 : 0;
      this.isGet[index] = operation.f === "get" ? 1 : 0;
      this.okRemaining += this.isOk[index]!;
    });
    // Calls before returns when times tie: touching intervals are concurrent.
    // (No subtraction: info returns are at +infinity.)
    entries.sort((a, b) => {
      if (a.time !== b.time) return a.time < b.time ? -1 : 1;
      if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
      return a.operation - b.operation;
    });
    entries.forEach((entry, node) => {
      this.nodeOperation[node] = entry.operation;
      this.nodeIsCall[node] = entry.isCall ? 1 : 0;
      if (entry.isCall) this.callNode[entry.operation] = node;
      else this.returnNode[entry.operation] = node;
      this.prev[node] = node === 0 ? this.head : node - 1;
      this.next[node] = node === 2 * count - 1 ? -1 : node + 1;
    });
    this.next[this.head] = count === 0 ? -1 : 0;
    this.prev[this.head] = -1;
  }

  /** Unlinks an op's call and return entries (a call always has a successor: its return). */
  private lift(operation: number): void {
    const { next, prev } = this;
    const call = this.callNode[operation]!;
    next[prev[call]!] = next[call]!;
    prev[next[call]!] = prev[call]!;
    const ret = this.returnNode[operation]!;
    next[prev[ret]!] = next[ret]!;
    if (next[ret] !== -1) prev[next[ret]!] = prev[ret]!;
  }

  /** Relinks what `lift` unlinked, in reverse order. */
  private unlift(operation: number): void {
    const { next, prev } = this;
    const ret = this.returnNode[operation]!;
    next[prev[ret]!] = ret;
    if (next[ret] !== -1) prev[next[ret]!] = ret;
    const call = this.callNode[operation]!;
    next[prev[call]!] = call;
    prev[next[call]!] = call;
  }

  /**
   * Marks `operation` linearized and records (linearized set, `state`) in the
   * memo. Returns false, leaving the set unchanged, when the pair was already seen.
   */
  private remember(operation: number, state: number, setHash: number): boolean {
    const { linearized, words, memoSlots, memoHash, memoState, memoBits } = this;
    const word = operation >>> 5;
    const bit = 1 << (operation & 31);
    linearized[word]! |= bit;
    const hash = setHash ^ Math.imul(state + 1, 0x9e3779b1);
    const mask = memoSlots.length - 1;
    let slot = hash & mask;
    for (let entry = memoSlots[slot]!; entry !== -1; slot = (slot + 1) & mask, entry = memoSlots[slot]!) {
      if (memoHash[entry] !== hash || memoState[entry] !== state) continue;
      const base = entry * words;
      let same = true;
      for (let w = 0; w < words; w++) {
        if (memoBits[base + w] !== linearized[w]) {
          same = false;
          break;
        }
      }
      if (same) {
        linearized[word]! &= ~bit;
        return false;
      }
    }
    const entry = this.memoCount++;
    memoSlots[slot] = entry;
    memoHash[entry] = hash;
    memoState[entry] = state;
    memoBits.set(linearized, entry * words);
    if (this.memoCount === memoHash.length) this.growMemo();
    return true;
  }

  private growMemo(): void {
    const capacity = this.memoHash.length * 2;
    const bits = new Uint32Array(capacity * this.words);
    bits.set(this.memoBits);
    this.memoBits = bits;
    this.memoHash = resized(this.memoHash, capacity);
    this.memoState = resized(this.memoState, capacity);
    this.memoSlots = new Int32Array(capacity * 2).fill(-1);
    const mask = this.memoSlots.length - 1;
    for (let entry = 0; entry < this.memoCount; entry++) {
      let slot = this.memoHash[entry]! & mask;
      while (this.memoSlots[slot] !== -1) slot = (slot + 1) & mask;
      this.memoSlots[slot] = entry;
    }
  }
}

/** Random 32-bit codes per op (Zobrist hashing): a set's hash is the xor of its members'. Seeded, so runs repeat. */
function zobristTable(count: number): Int32Array {
  const table = new Int32Array(count);
  let seed = 0x2545f491;
  for (let index = 0; index < count; index++) {
    // splitmix32
    seed = (seed + 0x9e3779b9) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[index] = z ^ (z >>> 16);
  }
  return table;
}
