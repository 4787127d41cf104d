import { z } from "zod";

/** View server: look for servers that did not ping since the previous check. */
export const PingCheckTimer = z.object({ type: z.literal("PingCheckTimer") });
/** Server: ping the view server, and resend what is unacknowledged. */
export const PingTimer = z.object({ type: z.literal("PingTimer") });
/** Client: the request `seq` has waited too long. */
export const ClientRetryTimer = z.object({ type: z.literal("ClientRetryTimer"), seq: z.int().min(1) });

export const Timer = z.discriminatedUnion("type", [PingCheckTimer, PingTimer, ClientRetryTimer]);
export type Timer = z.infer<typeof Timer>;
