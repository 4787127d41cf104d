import { z } from "zod";

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Validate `input` against `schema`; on failure a readable, multi-line reason. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown): ParseResult<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: z.prettifyError(result.error) };
}

/** Decode JSON text then validate it; both failures come back as a reason. */
export function parseJsonWith<T>(schema: z.ZodType<T>, text: string): ParseResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  return parseWith(schema, data);
}
