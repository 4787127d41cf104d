// `npm run kv`'s one operation through the library, and its failures in
// kv's own words (the contract scripts rely on: exit 1 and a message that
// says whether the outcome is known; a key or value out of bounds exit 2). A
// module of its own so that the wording is tested without a broker.
import type { KvClient } from "../client/connect.js";
import {
  InvalidOperationError,
  OperationTimeoutError,
  RefusedOperationError,
  SessionExpiredError,
} from "../client/errors.js";
import { describeRefusal, type Op } from "../schemas/op.js";
import { CommandError, exitCodes } from "./exitCodes.js";

/** The operation through the library; its errors in kv's words (exit 1; a ClientFailedError is a bug: 70). */
export async function runOperation(
  kv: KvClient,
  op: Op,
  options: { timeoutMs: number; cluster: string },
): Promise<string> {
  const what = `${op.f} ${JSON.stringify(op.key)}`;
  try {
    if (op.f === "get") return await kv.get(op.key);
    if (op.f === "put") return await kv.put(op.key, op.value).then(() => "");
    return String(await kv.append(op.key, op.value));
  } catch (error) {
    if (error instanceof RefusedOperationError)
      throw new CommandError(`${what}: ${describeRefusal("ValueTooLarge")}`);
    if (error instanceof SessionExpiredError) {
      throw new CommandError(
        `${what}: outcome unknown: the servers had forgotten this client's session (SessionExpired)${op.f === "get" ? "" : "; the operation may have taken effect once, never more"}`,
      );
    }
    if (error instanceof OperationTimeoutError) {
      throw new CommandError(
        `${what}: no answer within ${options.timeoutMs} ms (is the cluster "${options.cluster}" serving? try: npm run kv -- view); a put or append may still happen`,
      );
    }
    if (error instanceof InvalidOperationError) throw new CommandError(error.message, exitCodes.usage);
    throw error;
  }
}
