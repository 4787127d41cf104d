import { z } from "zod";
import { Address } from "./address.js";
import { Op } from "./op.js";
import { View } from "./view.js";

/**
 * What an actor reports to its driver besides messages: the simulator records
 * histories and checks invariants from them, the broker runtime publishes them
 * on `<c>.events`, the model checker reads goals from them.
 */
export const ActorEvent = z.discriminatedUnion("type", [
  /** `reason`: the view server says why it changed the view (servers learning a view give none). */
  z.object({ type: z.literal("viewChanged"), view: View, reason: z.string().optional() }),
  z.object({ type: z.literal("roleChanged"), role: z.enum(["primary", "backup", "idle"]), viewNum: z.int() }),
  z.object({ type: z.literal("stateTransferred"), viewNum: z.int(), to: Address, applied: z.int() }),
  z.object({ type: z.literal("served"), viewNum: z.int(), client: Address, seq: z.int(), op: Op }),
  /** A replica a reconfiguration removed is done serving the new members (VR): its host stops it. */
  z.object({ type: z.literal("retired"), epoch: z.int().min(0), reason: z.string() }),
  /**
   * A finished operation: its value, or `error` (value ""): `ValueTooLarge`,
   * refused and changed nothing (a history's `fail`); `SessionExpired`, its
   * outcome is unknown, it may have run once (a history's `info`).
   */
  z.object({
    type: z.literal("result"),
    seq: z.int(),
    op: Op,
    value: z.string(),
    error: z.enum(["ValueTooLarge", "SessionExpired"]).optional(),
  }),
]);
export type ActorEvent = z.infer<typeof ActorEvent>;

/** How a history (DESIGN §7) records a result: it happened, it did not, or it is unknown. */
export function historyTypeOf(result: Extract<ActorEvent, { type: "result" }>): "ok" | "fail" | "info" {
  if (result.error === undefined) return "ok";
  return result.error === "SessionExpired" ? "info" : "fail";
}
