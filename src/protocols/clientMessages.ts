import { z } from "zod";
import { SessionId } from "../kv/logEntry.js";
import { Op } from "../schemas/op.js";

// What every protocol's clients and servers say to each other (DESIGN §4.1):
// open a session, ask for an operation, and the answers. Only the refusals a
// server answers before anything is logged (NotPrimary, NotHead, …) are the
// protocol's own; the rest is one schema for every protocol.

/**
 * The client messages of a protocol whose servers refuse with `notServed`
 * before logging anything (the operation did not run).
 */
export function clientMessages<const Refusal extends readonly [string, ...string[]]>(notServed: Refusal) {
  const NotServed = z.enum(notServed);
  /** Client → server, before its first operation and after SessionExpired; `seq`: the operation waiting for it. */
  const RegisterClient = z.object({ type: z.literal("RegisterClient"), seq: z.int().min(1) });
  const RegisterReply = z.object({
    type: z.literal("RegisterReply"),
    seq: z.int().min(1),
    result: z.discriminatedUnion("ok", [
      z.object({ ok: z.literal(true), session: SessionId }),
      z.object({ ok: z.literal(false), error: NotServed }),
    ]),
  });
  /** Client → server. One outstanding request per client; seq numbers grow by one. */
  const Request = z.object({ type: z.literal("Request"), session: SessionId, seq: z.int().min(1), op: Op });
  /**
   * `ValueTooLarge`: an append would make the key's value larger than
   * valueBytesMax; nothing changed. `SessionExpired`: the servers do not hold
   * the request's session; it did not run now, but an earlier attempt may
   * have, so its outcome is unknown.
   */
  const ReplyError = z.enum([...notServed, "ValueTooLarge", "SessionExpired"] as const);
  const Reply = z.object({
    type: z.literal("Reply"),
    seq: z.int().min(1),
    result: z.discriminatedUnion("ok", [
      z.object({ ok: z.literal(true), value: z.string() }),
      z.object({ ok: z.literal(false), error: ReplyError }),
    ]),
  });
  return { NotServed, RegisterClient, RegisterReply, Request, ReplyError, Reply };
}
