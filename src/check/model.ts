// The sequential specification: one string register per key with get / put /
// append, a missing key reading "" (DESIGN §1).
//
// States are interned to small integers so the search compares and hashes
// ints. Interning must be canonical (equal texts, equal ids) for gets and the
// memo to work, but hashing each new text would cost its length, and
// append-heavy keys make long texts and almost only new ones. So each state
// keeps a polynomial hash of its text, which an append extends in O(1)
// (h(s + v) = h(s)·B^|v| + h(v)); texts are compared only when hashes and
// lengths agree, and are built by concatenation, which V8 does without copying.
import { PairMap } from "./pairMap.js";
import type { Operation } from "./prepare.js";

/** Returned by `step` when the model refuses the operation in that state. */
export const rejected = -1;

const kindGet = 0;
const kindPut = 1;
const kindAppend = 2;

export class RegisterModel {
  /** The interned state for "", the initial value of every key. */
  readonly initialState = 0;
  private readonly texts: string[] = [];
  private readonly hashes: number[] = [];
  /** Text hash (30 bits) → first state with it; further ones chain through `sameHashNext`. */
  private readonly byHash = new Map<number, number>();
  private readonly sameHashNext: number[] = [];
  private readonly kinds: Uint8Array;
  /** get: the state it must read; put: the state it sets. Unused for append. */
  private readonly targets: Int32Array;
  private readonly appendTexts: string[];
  private readonly appendHashes: Int32Array;
  /** B^|value| for each append, to extend a hash by the value. */
  private readonly appendPowers: Int32Array;
  /** (state before, append op) → state after, filled on first use. */
  private readonly appendTransitions = new PairMap();
  /** For a state some get read: the hash of each prefix of its text, by length. */
  private readonly readPrefixHashes = new Map<number, Int32Array>();
  private readPrefixBytes = 0;

  constructor(operations: readonly Operation[]) {
    const count = operations.length;
    this.intern("", hashText(""));
    this.kinds = new Uint8Array(count);
    this.targets = new Int32Array(count);
    this.appendTexts = new Array<string>(count).fill("");
    this.appendHashes = new Int32Array(count);
    this.appendPowers = new Int32Array(count);
    operations.forEach((operation, index) => {
      switch (operation.f) {
        case "get":
          this.kinds[index] = kindGet;
          this.targets[index] = this.intern(operation.value, hashText(operation.value));
          break;
        case "put":
          this.kinds[index] = kindPut;
          this.targets[index] = this.intern(operation.value, hashText(operation.value));
          break;
        case "append":
          this.kinds[index] = kindAppend;
          this.appendTexts[index] = operation.value;
          this.appendHashes[index] = hashText(operation.value);
          this.appendPowers[index] = hashPower(operation.value.length);
          break;
      }
    });
  }

  /** The state after applying operation `index` in `state`, or `rejected`. */
  step(state: number, index: number): number {
    switch (this.kinds[index]) {
      case kindGet:
        // Interning is canonical, so equal texts have equal ids.
        return this.targets[index] === state ? state : rejected;
      case kindPut:
        return this.targets[index] ?? rejected;
      default:
        return this.append(state, index);
    }
  }

  /**
   * For a get: whether appends alone could still take `state` to the value it
   * read, i.e. the state's text is a prefix of it. When no put can come first,
   * a false answer means the search can give up this branch at once.
   */
  mayReachByAppends(state: number, index: number): boolean {
    const target = this.targets[index] ?? 0;
    if (state === target) return true;
    // Compared by hash, so long state texts are never flattened or scanned: a
    // different hash proves the state is no prefix; an equal one (rarely a
    // collision) only means this pruning is not applied.
    const length = this.text(state).length;
    const read = this.text(target);
    if (length > read.length) return false;
    let prefixes = this.readPrefixHashes.get(target);
    if (prefixes === undefined) {
      prefixes = hashPrefixes(read);
      this.readPrefixHashes.set(target, prefixes);
      this.readPrefixBytes += prefixes.byteLength;
    }
    return prefixes[length] === this.hashes[state];
  }

  /** The register's value for an interned state. */
  text(state: number): string {
    return this.texts[state] ?? "";
  }

  /** How many distinct states the search has met (a measure of its work). */
  get stateCount(): number {
    return this.texts.length;
  }

  /** A rough size of the states and transitions held, for the checker's memory bound. */
  get memoryBytes(): number {
    // Per state: its text (a concatenation node), hash, chain link and map entry; per transition: 12 bytes and slack.
    return this.texts.length * 80 + this.appendTransitions.size * 32 + this.readPrefixBytes;
  }

  private append(state: number, index: number): number {
    let next = this.appendTransitions.get(state, index);
    if (next === -1) {
      const hash =
        (Math.imul(this.hashes[state] ?? 0, this.appendPowers[index] ?? 1) +
          (this.appendHashes[index] ?? 0)) |
        0;
      next = this.intern(this.text(state) + (this.appendTexts[index] ?? ""), hash);
      this.appendTransitions.add(state, index, next);
    }
    return next;
  }

  /** The id of `text`, whose hash is `hash`, creating it when new. */
  private intern(text: string, hash: number): number {
    const key = hash & 0x3fffffff;
    const first = this.byHash.get(key);
    for (let id = first ?? -1; id !== -1; id = this.sameHashNext[id] ?? -1) {
      const known = this.texts[id] ?? "";
      if (this.hashes[id] === hash && known.length === text.length && known === text) return id;
    }
    const id = this.texts.length;
    this.texts.push(text);
    this.hashes.push(hash);
    this.sameHashNext.push(first ?? -1);
    this.byHash.set(key, id);
    return id;
  }
}

const hashBase = 0x01000193;

/** Polynomial hash of the UTF-16 code units, modulo 2^32. */
function hashText(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++)
    hash = (Math.imul(hash, hashBase) + text.charCodeAt(index)) | 0;
  return hash;
}

/** `hashText` of every prefix of `text`, indexed by the prefix's length. */
function hashPrefixes(text: string): Int32Array {
  const prefixes = new Int32Array(text.length + 1);
  let hash = 0;
  for (let index = 0; index < text.length; index++) {
    hash = (Math.imul(hash, hashBase) + text.charCodeAt(index)) | 0;
    prefixes[index + 1] = hash;
  }
  return prefixes;
}

/** hashBase^length modulo 2^32. */
function hashPower(length: number): number {
  let power = 1;
  for (let index = 0; index < length; index++) power = Math.imul(power, hashBase);
  return power;
}
