// Named bounds for everything that arrives from the outside. Relations between
// them are asserted once, below, so a change that breaks one fails at load.
//
// Sizes are counted as a value travels: `encodedBytes` is the length of its
// JSON string encoding in UTF-8, quotes excluded. Plain text counts one byte
// per byte; a quote, a backslash or a newline two; another control character
// six. Counting this way (not by characters) is what lets one value limit
// bound every message that carries values (Request, Reply, Forward,
// TransferChunk) with a single cap.

/** Longest actor address, e.g. `server-12` or `client-V1StGXR8_Z5jdHi6B-myT`. */
export const addressLengthMax = 64;
/** Longest key a client may use, in characters. */
export const keyLengthMax = 256;
/**
 * The one value limit: the largest value (encodedBytes) a put or append may
 * carry and a key may hold. An append that would make a key's value larger is
 * refused when it is applied (`ValueTooLarge`), the same on every replica.
 */
export const valueBytesMax = 1024 * 1024;
/** Room in a message for everything but its values: envelope, keys, addresses, numbers. */
export const messageOverheadBytesMax = 64 * 1024;
/** A Forward's entries, or a transfer chunk's, stop growing past this many encoded bytes (one entry always fits). */
export const batchBytesMax = 256 * 1024;
/** Largest encoded message any actor accepts (the broker refuses bigger ones too). */
export const messageBytesMax = Math.max(valueBytesMax, batchBytesMax) + messageOverheadBytesMax;
/**
 * Wire batches (DESIGN §4.2): most envelopes one AMQP message carries when a
 * connection sends several to one destination in one turn of the event loop.
 */
export const wireBatchMessagesMax = 128;
/** A wire batch stops growing past this many bytes; an envelope larger than this travels alone. */
export const wireBatchBytesMax = batchBytesMax;
/** Most operations carried by one Forward. */
export const forwardBatchMax = 64;
/** VR's replica slots: server-1 … server-9, the members of any epoch among them. */
export const replicaSlotsMax = 9;
/** Most Forward messages a primary may have in flight (`--forward-window`). */
export const forwardWindowMax = 64;
/**
 * Most client sessions the at-most-once table holds (besides expiring idle
 * ones): opening one more forgets the least recently active, whose client's
 * next request is refused with SessionExpired, never run twice.
 */
export const sessionsMax = 100_000;
/** Most store or session entries in one state-transfer chunk. */
export const chunkEntriesMax = 4096;
/**
 * A backup receiving a transfer holds the forwards that follow the snapshot
 * until the last chunk is in: at most this many, of at most this many key and
 * value characters. Beyond, its acks stall and the primary answers Busy.
 */
export const heldForwardsMax = 65_536;
export const heldForwardCharsMax = 64 * 1024 * 1024;

/**
 * The bytes `value` takes inside a JSON message: its JSON.stringify encoding
 * in UTF-8, quotes excluded. Counted without building the encoding.
 */
export function encodedBytes(value: string): number {
  // Plain printable ASCII (most values) is one byte per character: a native scan says so.
  if (!needsCounting.test(value)) return value.length;
  let bytes = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += c === 0x22 || c === 0x5c ? 2 : c >= 0x20 ? 1 : shortEscapes.has(c) ? 2 : 6;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c < 0xdc00 && i + 1 < length && isLowSurrogate(value.charCodeAt(i + 1))) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i += 1;
    } else bytes += 6; // a lone surrogate is escaped as \udxxx
  }
  return bytes;
}

/** \b \t \n \f \r: the control characters JSON escapes in two bytes. */
const shortEscapes = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/** A character that does not take exactly one byte in JSON: escaped, or not ASCII. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const needsCounting = /[\u0000-\u001f"\\\u007f-\uffff]/;

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Bytes an entry (key, value and whatever fixed fields travel with it) adds to
 * a batch: what the byte bounds of Forwards and transfer chunks count.
 */
export function entryBytes(key: string, value: string): number {
  return encodedBytes(key) + encodedBytes(value) + entryOverheadBytes;
}
/** Addresses, numbers and field names of one entry, generously. */
export const entryOverheadBytes = 256;

/** The longest key, fully escaped. */
const keyBytesMax = keyLengthMax * 6;

// A batch holds entries while they stay within batchBytesMax, and always one:
// so a batch is at most the larger of the two, and both must fit a message.
if (batchBytesMax + keyBytesMax + entryOverheadBytes >= messageBytesMax - addressLengthMax * 4) {
  throw new Error("limits: a full batch must fit in a message");
}
// A wire batch: its envelopes, a comma between two, and the brackets.
if (wireBatchBytesMax + wireBatchMessagesMax + 2 > messageBytesMax) {
  throw new Error("limits: a full wire batch must fit in a message");
}
if (valueBytesMax + keyBytesMax + entryOverheadBytes >= messageBytesMax - addressLengthMax * 4) {
  throw new Error("limits: one key and value must fit in a message");
}
