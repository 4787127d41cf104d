import { z } from "zod";
import { acceptsAsIs } from "./asIs.js";

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Validate `input` against `schema`; on failure a readable, multi-line reason. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown): ParseResult<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: z.prettifyError(result.error) };
}

/**
 * `parseWith` for data just decoded from JSON, which nothing else holds:
 * when it is exactly what the schema describes (src/schemas/asIs.ts), it is
 * the value itself, checked but not copied; anything else is zod's to judge.
 * The hot path of every delivery (issue 21).
 */
export function parseDecodedWith<T>(schema: z.ZodType<T>, decoded: unknown): ParseResult<T> {
  if (acceptsAsIs(schema, decoded)) return { ok: true, value: decoded as T };
  return parseWith(schema, decoded);
}

/** Decode JSON text then validate it; both failures come back as a reason. */
export function parseJsonWith<T>(schema: z.ZodType<T>, text: string): ParseResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  return parseDecodedWith(schema, data);
}
