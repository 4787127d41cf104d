import { z } from "zod";
import { encodedBytes, keyLengthMax, valueBytesMax } from "./limits.js";

export const Key = z.string().max(keyLengthMax);
/** A value of at most valueBytesMax encoded bytes (a character is at least one, so `.max` checks cheaply first). */
export const Value = z
  .string()
  .max(valueBytesMax)
  .refine((value) => encodedBytes(value) <= valueBytesMax, {
    message: `a value may take at most ${valueBytesMax} bytes (1 MiB) as JSON`,
  });

const valueShownMax = 24;

/** A value as traces show it: quoted, cut after 24 characters with its length. */
export function shortValue(value: string): string {
  const shown = value.length > valueShownMax ? `${value.slice(0, valueShownMax)}…(${value.length})` : value;
  return JSON.stringify(shown);
}

/** One deterministic line for an operation, in logs, simulator traces and counterexamples. */
export function describeOp(op: Op): string {
  return op.f === "get"
    ? `get(${JSON.stringify(op.key)})`
    : `${op.f}(${JSON.stringify(op.key)}, ${shortValue(op.value)})`;
}

/** An application operation, as a client asks for it. */
export const Op = z.discriminatedUnion("f", [
  z.object({ f: z.literal("get"), key: Key }),
  z.object({ f: z.literal("put"), key: Key, value: Value }),
  z.object({ f: z.literal("append"), key: Key, value: Value }),
]);
export type Op = z.infer<typeof Op>;
export type OpName = Op["f"];

/** Why a value is refused, or null when it fits: the one check clients make before sending. */
export function valueTooLargeReason(value: string): string | null {
  if (value.length <= valueBytesMax / 6) return null; // fits even if every character were escaped
  const bytes = encodedBytes(value);
  if (bytes <= valueBytesMax) return null;
  return `the value takes ${bytes} bytes; the limit is ${valueBytesMax} bytes (1 MiB, counted as JSON: a newline or quote counts 2)`;
}

/** What a refusal by the servers means, for users. */
export function describeRefusal(error: "ValueTooLarge"): string {
  switch (error) {
    case "ValueTooLarge":
      return `refused: the key's value would grow past ${valueBytesMax} bytes (1 MiB); nothing changed`;
  }
}
