import { z } from "zod";
import { keyLengthMax, valueLengthMax } from "./limits.js";

export const Key = z.string().max(keyLengthMax);
export const Value = z.string().max(valueLengthMax);

/** An application operation, as a client asks for it. */
export const Op = z.discriminatedUnion("f", [
  z.object({ f: z.literal("get"), key: Key }),
  z.object({ f: z.literal("put"), key: Key, value: Value }),
  z.object({ f: z.literal("append"), key: Key, value: Value }),
]);
export type Op = z.infer<typeof Op>;
export type OpName = Op["f"];
