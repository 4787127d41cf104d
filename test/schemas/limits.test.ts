// The one value limit counts a value as it travels: its JSON encoding in UTF-8.
import { describe, expect, it } from "vitest";
import { encodedBytes, messageBytesMax, valueBytesMax } from "../../src/schemas/limits.js";
import { valueTooLargeReason } from "../../src/schemas/op.js";

const byJson = (value: string): number => Buffer.byteLength(JSON.stringify(value), "utf8") - 2;

describe("limits", () => {
  it("encodedBytes is the UTF-8 length of the JSON string encoding, quotes excluded", () => {
    const samples = [
      "",
      "plain",
      'quote " and \\ backslash',
      "new\nline\ttab\r\b\f",
      "\u0000\u0001\u001f",
      "é ü ß",
      "€ 中文",
      "😀 pair",
      "\ud800 lone high",
      "lone low \udc00",
      "\udc00\ud800 reversed",
      "end high \ud83d",
    ];
    for (const sample of samples) expect(encodedBytes(sample), JSON.stringify(sample)).toBe(byJson(sample));
  });

  it("a 1 MiB value fits in a message; one byte more is refused with the figures", () => {
    expect(valueTooLargeReason("x".repeat(valueBytesMax))).toBeNull();
    expect(valueTooLargeReason("x".repeat(valueBytesMax + 1))).toMatch(/1048577 bytes; the limit is 1048576/);
    expect(valueTooLargeReason("\n".repeat(valueBytesMax / 2 + 1))).not.toBeNull();
    expect(messageBytesMax).toBeGreaterThan(valueBytesMax);
  });
});
