import type { Address } from "../schemas/address.js";
import type { Envelope, MessageBase } from "../schemas/envelope.js";
import { fmix, Hasher } from "./hash.js";

// Every distinct message the search has seen, interned once: states hold
// message ids in a bitset, the table holds the envelope and its hash. Two
// sends of the same (from, to, viewNum, body) are one message, which is what
// makes the network a set (DSLabs drops id and send time the same way).

/** A message without what only a real network adds (id, send time). */
export interface MessageContent {
  from: Address;
  to: Address;
  viewNum: number;
  body: MessageBase;
}

/** Freeze recursively: an actor that mutated a received message would corrupt every state holding it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value)) deepFreeze(field);
  }
  return value;
}

export class MessageTable {
  private readonly ids = new Map<string, number>();
  readonly envelopes: Envelope[] = [];
  readonly hashA: number[] = [];
  readonly hashB: number[] = [];
  /** Destination node index, or -1 when the address is not a node of the world. */
  readonly destination: number[] = [];
  private readonly hasher = new Hasher();

  constructor(private readonly nodeIndex: ReadonlyMap<Address, number>) {}

  get size(): number {
    return this.envelopes.length;
  }

  static keyOf(message: MessageContent): string {
    return `${message.from}\u0000${message.to}\u0000${message.viewNum}\u0000${JSON.stringify(message.body)}`;
  }

  /** The id of this message, interning it on first sight. */
  intern(message: MessageContent): number {
    const key = MessageTable.keyOf(message);
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const id = this.envelopes.length;
    this.ids.set(key, id);
    // The body is copied so that freezing it cannot reach into the sender's state.
    const body = structuredClone(message.body);
    this.envelopes.push(
      deepFreeze({
        v: 1,
        id: String(id),
        from: message.from,
        to: message.to,
        viewNum: message.viewNum,
        sentAt: 0,
        body,
      }),
    );
    this.hasher.reset(0x1b873593);
    this.hasher.str(key);
    this.hashA.push(fmix(this.hasher.a));
    this.hashB.push(fmix(this.hasher.b));
    this.destination.push(this.nodeIndex.get(message.to) ?? -1);
    return id;
  }

  /** The id of a message already seen, or undefined. */
  find(message: MessageContent): number | undefined {
    return this.ids.get(MessageTable.keyOf(message));
  }

  envelope(id: number): Envelope {
    const envelope = this.envelopes[id];
    if (envelope === undefined) throw new Error(`no message ${id}`);
    return envelope;
  }
}
