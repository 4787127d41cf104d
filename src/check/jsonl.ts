// History files (DESIGN §7) written and read a line at a time. A long chaos
// or load run can record more than the longest string V8 allows (about
// 512 MiB: appends grow the values and every get records the one it read),
// so neither side ever holds the whole file as one string.
import { closeSync, openSync, readSync, writeSync } from "node:fs";

/** Bytes gathered before a write, and read at a time. */
const chunkBytes = 1 << 20;

/** Writes `items` as JSON Lines to `path` (replacing it), one item per line. */
export function writeJsonlFile(path: string, items: Iterable<unknown>): void {
  const fd = openSync(path, "w");
  try {
    let pending: string[] = [];
    let pendingLength = 0;
    const flush = (): void => {
      if (pending.length > 0) writeSync(fd, pending.join(""));
      pending = [];
      pendingLength = 0;
    };
    for (const item of items) {
      const line = `${JSON.stringify(item)}\n`;
      pending.push(line);
      pendingLength += line.length;
      if (pendingLength >= chunkBytes) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `onLine(text, lineNumber)` for every line of the file at `path`
 * (numbers from 1; a final line without a newline counts; `\r\n` is one
 * ending). Reads a chunk at a time and decodes one line at a time.
 */
export function forEachFileLine(path: string, onLine: (text: string, line: number) => void): void {
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let carry: Buffer = Buffer.alloc(0);
    let line = 0;
    const emit = (bytes: Buffer): void => {
      line += 1;
      const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
      onLine(bytes.toString("utf8", 0, end), line);
    };
    for (;;) {
      const read = readSync(fd, chunk, 0, chunkBytes, null);
      if (read === 0) break;
      let data =
        carry.length === 0 ? chunk.subarray(0, read) : Buffer.concat([carry, chunk.subarray(0, read)]);
      let start = 0;
      for (let newline = data.indexOf(0x0a, start); newline >= 0; newline = data.indexOf(0x0a, start)) {
        emit(data.subarray(start, newline));
        start = newline + 1;
      }
      // What is left is the start of a line that continues in the next chunk: keep a copy,
      // as the chunk buffer is read into again.
      data = data.subarray(start);
      carry = Buffer.from(data);
    }
    if (carry.length > 0) emit(carry);
  } finally {
    closeSync(fd);
  }
}
