import { z } from "zod";

/** Master: look for servers that did not ping since the previous check. */
export const PingCheckTimer = z.object({ type: z.literal("PingCheckTimer") });
/** Server: ping the master, resend what is unacknowledged, confirm the tail again. */
export const PingTimer = z.object({ type: z.literal("PingTimer") });
/** Client: the request `seq` has waited too long. */
export const ClientRetryTimer = z.object({ type: z.literal("ClientRetryTimer"), seq: z.int().min(1) });

export const ChainTimer = z.discriminatedUnion("type", [PingCheckTimer, PingTimer, ClientRetryTimer]);
export type ChainTimer = z.infer<typeof ChainTimer>;
