// The gateway's RESP parser and encoder: requests parse the same however the
// bytes are split, every bound is enforced before the bytes are buffered,
// and replies encode as RESP2 or RESP3.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  defaultRequestLimits,
  encodeReply,
  ProtocolError,
  reply,
  RequestParser,
} from "../../src/gateway/resp.js";

function multibulk(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

function parseAll(parser: RequestParser): string[][] {
  const commands: string[][] = [];
  for (let args = parser.next(); args !== null; args = parser.next())
    commands.push(args.map((arg) => arg.toString("latin1")));
  return commands;
}

describe("RequestParser", () => {
  it("parses commands however the bytes are split", () => {
    const argument = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes));
    const command = fc.array(argument, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 6 }), fc.array(fc.nat()), (commands, cuts) => {
        const bytes = Buffer.concat(commands.map(multibulk));
        const parser = new RequestParser();
        const parsed: string[][] = [];
        let offset = 0;
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
          parser.push(bytes.subarray(offset, Math.max(offset, cut)));
          offset = Math.max(offset, cut);
          parsed.push(...parseAll(parser));
        }
        expect(parsed).toEqual(commands.map((args) => args.map((arg) => arg.toString("latin1"))));
        expect(parser.buffered).toBe(0);
      }),
    );
  });

  it("parses inline commands and skips empty ones", () => {
    const parser = new RequestParser();
    parser.push(Buffer.from("PING\r\n\r\nset  k v\n*0\r\n*-1\r\nGET k\r\n"));
    expect(parseAll(parser)).toEqual([["PING"], ["set", "k", "v"], ["GET", "k"]]);
  });

  it("waits for the rest of an incomplete command", () => {
    const parser = new RequestParser();
    parser.push(Buffer.from("*2\r\n$3\r\nGET\r\n$1\r\n"));
    expect(parser.next()).toBeNull();
    expect(parser.buffered).toBeGreaterThan(0);
    parser.push(Buffer.from("k\r\n"));
    expect(parseAll(parser)).toEqual([["GET", "k"]]);
  });

  it.each([
    [
      "a bulk length over the bound",
      `*1\r\n$${defaultRequestLimits.bulkBytesMax + 1}\r\n`,
      /invalid bulk length/,
    ],
    ["a huge bulk length", "*1\r\n$99999999999999\r\n", /invalid bulk length/],
    ["too many arguments", `*${defaultRequestLimits.argumentsMax + 1}\r\n`, /invalid multibulk length/],
    ["a non-number length", "*x\r\n", /invalid multibulk length/],
    ["a missing '$'", "*1\r\n:3\r\n", /expected '\$'/],
    ["a negative bulk length", "*1\r\n$-1\r\n", /invalid bulk length/],
    ["a bulk without its CRLF", "*1\r\n$1\r\nab\r\n", /CRLF/],
    ["an endless header", `*${"1".repeat(40)}`, /too long/],
  ])("refuses %s", (_what, input, message) => {
    const parser = new RequestParser();
    parser.push(Buffer.from(input));
    expect(() => parser.next()).toThrow(ProtocolError);
    const again = new RequestParser();
    again.push(Buffer.from(input));
    expect(() => again.next()).toThrow(message);
  });

  it("refuses a request whose bulks add up past the bound before buffering them", () => {
    const parser = new RequestParser({ ...defaultRequestLimits, requestBytesMax: 10 });
    parser.push(Buffer.from("*3\r\n$3\r\nSET\r\n$8\r\n"));
    expect(() => parser.next()).toThrow(/invalid bulk length/);
  });

  it("refuses an inline line longer than the bound, even before its newline", () => {
    const parser = new RequestParser({ ...defaultRequestLimits, lineBytesMax: 16 });
    parser.push(Buffer.from("GET aaaaaaaaaaaaaaaaaaaaaa"));
    expect(() => parser.next()).toThrow(/too big inline request/);
  });
});

describe("encodeReply", () => {
  it("encodes each kind in RESP2 and RESP3", () => {
    const value = reply.array([
      reply.ok,
      reply.error("ERR bad\r\nthing"),
      reply.integer(-3),
      reply.bulk("é"),
      reply.null,
      reply.map([[reply.bulk("a"), reply.integer(1)]]),
    ]);
    expect(encodeReply(value, 2).toString()).toBe(
      "*6\r\n+OK\r\n-ERR bad thing\r\n:-3\r\n$2\r\né\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n",
    );
    expect(encodeReply(value, 3).toString()).toBe(
      "*6\r\n+OK\r\n-ERR bad thing\r\n:-3\r\n$2\r\né\r\n_\r\n%1\r\n$1\r\na\r\n:1\r\n",
    );
  });
});
