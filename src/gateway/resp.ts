// RESP, as far as a server needs it: requests in (arrays of bulk strings, or
// inline commands as typed into telnet) and replies out, RESP2 or RESP3.
// Written here rather than taken from `redis-parser` (a client's reply parser
// from 2017) because a server must bound what a client may send: every
// length is checked against a named limit before a byte of it is buffered,
// and a violation is a ProtocolError that closes that one connection.

/** Limits on one request; Redis's own are larger, pbkv's values are small (schemas/limits.ts). */
export interface RequestLimits {
  /** Most arguments in one command (the name included). */
  argumentsMax: number;
  /** Longest bulk string. */
  bulkBytesMax: number;
  /** Most bytes in one command, all arguments together. */
  requestBytesMax: number;
  /** Longest inline command or header line. */
  lineBytesMax: number;
}

export const defaultRequestLimits: RequestLimits = Object.freeze({
  argumentsMax: 4096,
  bulkBytesMax: 1024 * 1024,
  requestBytesMax: 8 * 1024 * 1024,
  lineBytesMax: 64 * 1024,
});

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

const cr = 13;
const lf = 10;

/** Incremental request parser: `push` bytes, then `next()` until it returns null (needs more). */
export class RequestParser {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: RequestLimits = defaultRequestLimits) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** Bytes received but not yet part of a parsed command. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** The next complete command's arguments (empty commands are skipped); null if incomplete. */
  next(): Buffer[] | null {
    for (;;) {
      if (this.buffer.length === 0) return null;
      const parsed = this.buffer[0] === 0x2a ? this.parseMultibulk() : this.parseInline();
      if (parsed === null) return null;
      this.buffer = this.buffer.subarray(parsed.end);
      if (parsed.args.length > 0) return parsed.args;
    }
  }

  private parseMultibulk(): { args: Buffer[]; end: number } | null {
    const header = this.line(1);
    if (header === null) return null;
    const count = this.integer(header.text, "multibulk length");
    if (count > this.limits.argumentsMax) throw new ProtocolError(`invalid multibulk length ${count}`);
    const args: Buffer[] = [];
    let offset = header.end;
    let declaredBytes = 0;
    for (let index = 0; index < count; index++) {
      if (offset >= this.buffer.length) return null;
      if (this.buffer[offset] !== 0x24) {
        throw new ProtocolError(`expected '$', got '${String.fromCharCode(this.buffer[offset] ?? 0)}'`);
      }
      const lengthLine = this.line(offset + 1);
      if (lengthLine === null) return null;
      const length = this.integer(lengthLine.text, "bulk length");
      declaredBytes += length;
      if (length > this.limits.bulkBytesMax || declaredBytes > this.limits.requestBytesMax)
        throw new ProtocolError(`invalid bulk length ${length}`);
      const dataEnd = lengthLine.end + length;
      if (dataEnd + 2 > this.buffer.length) return null;
      if (this.buffer[dataEnd] !== cr || this.buffer[dataEnd + 1] !== lf)
        throw new ProtocolError("bulk string not followed by CRLF");
      args.push(Buffer.from(this.buffer.subarray(lengthLine.end, dataEnd)));
      offset = dataEnd + 2;
    }
    return { args, end: offset };
  }

  /** A command typed as one line of words (telnet, `nc`); quotes are not interpreted. */
  private parseInline(): { args: Buffer[]; end: number } | null {
    const newline = this.buffer.indexOf(lf);
    if (newline < 0) {
      if (this.buffer.length > this.limits.lineBytesMax) throw new ProtocolError("too big inline request");
      return null;
    }
    if (newline > this.limits.lineBytesMax) throw new ProtocolError("too big inline request");
    const text = this.buffer.subarray(0, newline).toString("latin1").replace(/\r$/, "");
    const words = text.split(/[ \t]+/).filter((word) => word !== "");
    return { args: words.map((word) => Buffer.from(word, "latin1")), end: newline + 1 };
  }

  /** The header line starting at `start` (after its type byte), or null when its CRLF has not arrived. */
  private line(start: number): { text: string; end: number } | null {
    const limit = Math.min(this.buffer.length, start + 32);
    const crAt = this.buffer.subarray(start, limit).indexOf(cr);
    if (crAt < 0) {
      if (limit - start >= 32) throw new ProtocolError("header line too long");
      return null;
    }
    const end = start + crAt;
    if (end + 1 >= this.buffer.length) return null;
    if (this.buffer[end + 1] !== lf) throw new ProtocolError("header line not ended by CRLF");
    return { text: this.buffer.subarray(start, end).toString("latin1"), end: end + 2 };
  }

  private integer(text: string, what: string): number {
    if (!/^-?\d{1,18}$/.test(text)) throw new ProtocolError(`invalid ${what} '${text}'`);
    const value = Number(text);
    if (value < 0) {
      // `*-1` and `*0` are empty commands (Redis ignores them); a negative bulk length is not.
      if (what === "multibulk length") return 0;
      throw new ProtocolError(`invalid ${what} ${value}`);
    }
    return value;
  }
}

/** A reply before encoding; `null` and `map` are encoded per protocol version. */
export type Reply =
  | { type: "simple"; value: string }
  | { type: "error"; message: string }
  | { type: "integer"; value: number }
  | { type: "bulk"; value: string | Buffer }
  | { type: "null" }
  | { type: "array"; items: Reply[] }
  | { type: "map"; entries: [Reply, Reply][] };

export type ProtocolVersion = 2 | 3;

export const reply = {
  ok: { type: "simple", value: "OK" } as Reply,
  simple: (value: string): Reply => ({ type: "simple", value }),
  error: (message: string): Reply => ({ type: "error", message }),
  integer: (value: number): Reply => ({ type: "integer", value }),
  bulk: (value: string | Buffer): Reply => ({ type: "bulk", value }),
  null: { type: "null" } as Reply,
  array: (items: Reply[]): Reply => ({ type: "array", items }),
  map: (entries: [Reply, Reply][]): Reply => ({ type: "map", entries }),
};

/** The reply's bytes in RESP2 or RESP3. */
export function encodeReply(value: Reply, version: ProtocolVersion): Buffer {
  const parts: Buffer[] = [];
  encodeInto(value, version, parts);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

function encodeInto(value: Reply, version: ProtocolVersion, parts: Buffer[]): void {
  switch (value.type) {
    case "simple":
      parts.push(Buffer.from(`+${oneLine(value.value)}\r\n`));
      return;
    case "error":
      parts.push(Buffer.from(`-${oneLine(value.message)}\r\n`));
      return;
    case "integer":
      parts.push(Buffer.from(`:${value.value}\r\n`));
      return;
    case "bulk": {
      const bytes = typeof value.value === "string" ? Buffer.from(value.value, "utf8") : value.value;
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
      return;
    }
    case "null":
      parts.push(Buffer.from(version === 3 ? "_\r\n" : "$-1\r\n"));
      return;
    case "array":
      parts.push(Buffer.from(`*${value.items.length}\r\n`));
      for (const item of value.items) encodeInto(item, version, parts);
      return;
    case "map":
      parts.push(
        Buffer.from(version === 3 ? `%${value.entries.length}\r\n` : `*${value.entries.length * 2}\r\n`),
      );
      for (const [key, item] of value.entries) {
        encodeInto(key, version, parts);
        encodeInto(item, version, parts);
      }
      return;
  }
}

/** Simple strings and errors cannot hold CR or LF. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
