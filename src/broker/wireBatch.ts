// Wire batches (DESIGN §4.2): the envelopes one connection sends to one
// destination (exchange and routing key) in one turn of the event loop
// travel in one AMQP message, a JSON array of the envelopes in sending order;
// a lone envelope travels as itself. Many client actors in one process (the
// bench's closed loop, the library's pool, the gateway) send their requests
// to the same primary in the same turn: one publish, one routing and one
// delivery at the broker instead of one each. The receiver takes each
// envelope on its own (zod, its address, its sender against the broker's
// user_id), so a batch carries no trust a lone message would not. The
// format is the receiver's to check: this file only cuts and splits.
import { wireBatchBytesMax, wireBatchMessagesMax } from "../schemas/limits.js";

export interface WireBatchBounds {
  /** Most envelopes in one AMQP message. */
  messagesMax: number;
  /** A batch stops growing past this many bytes; a larger envelope goes alone. */
  bytesMax: number;
}

export const wireBatchBounds: WireBatchBounds = {
  messagesMax: wireBatchMessagesMax,
  bytesMax: wireBatchBytesMax,
};

const open = Buffer.from("[");
const comma = Buffer.from(",");
const close = Buffer.from("]");

/** One AMQP message's content: `count` envelopes from position `first` of what was sent. */
export interface PackedMessage {
  content: Buffer;
  first: number;
  count: number;
}

/**
 * The AMQP messages that carry `contents` (encoded envelopes, in sending
 * order): consecutive envelopes grouped while a group stays within the
 * bounds; a group of one is the envelope itself.
 */
export function packBatches(
  contents: readonly Buffer[],
  bounds: WireBatchBounds = wireBatchBounds,
): PackedMessage[] {
  const packed: PackedMessage[] = [];
  let first = 0;
  let groupBytes = 0;
  const flush = (end: number): void => {
    const group = contents.slice(first, end);
    if (group.length === 1 && group[0] !== undefined) packed.push({ content: group[0], first, count: 1 });
    else if (group.length > 1) packed.push({ content: joinBatch(group), first, count: group.length });
    first = end;
    groupBytes = 0;
  };
  contents.forEach((content, index) => {
    // Brackets and commas: one byte per envelope, one more for the array.
    const fits = index - first < bounds.messagesMax && groupBytes + content.length + 2 <= bounds.bytesMax;
    if (!fits) flush(index);
    groupBytes += content.length + 1;
  });
  flush(contents.length);
  return packed;
}

function joinBatch(group: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [open];
  group.forEach((content, index) => {
    if (index > 0) parts.push(comma);
    parts.push(content);
  });
  parts.push(close);
  return Buffer.concat(parts);
}

/** What one AMQP message carries, before any envelope is validated. */
export type WireContent =
  { kind: "one"; data: unknown } | { kind: "batch"; items: unknown[] } | { kind: "invalid"; reason: string };

/**
 * Decodes a delivery: one envelope (any JSON but an array: the envelope's
 * schema judges it), or a batch of 1 to `messagesMax` of them. Not JSON, an
 * empty batch or one over the bound is refused whole.
 */
export function decodeWireContent(text: string, messagesMax = wireBatchMessagesMax): WireContent {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { kind: "invalid", reason: `not JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(data)) return { kind: "one", data };
  if (data.length === 0) return { kind: "invalid", reason: "an empty batch" };
  if (data.length > messagesMax)
    return { kind: "invalid", reason: `a batch of ${data.length} envelopes (limit ${messagesMax})` };
  return { kind: "batch", items: data };
}

/** The envelopes (unvalidated) a delivery carries, for observers that tap traffic: one, a batch's, or none. */
export function wireItems(text: string): unknown[] {
  const decoded = decodeWireContent(text);
  if (decoded.kind === "one") return [decoded.data];
  return decoded.kind === "batch" ? decoded.items : [];
}
