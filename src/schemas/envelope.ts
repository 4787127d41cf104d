import { z } from "zod";
import { Address } from "./address.js";
import { MessageBody } from "../protocols/pb/messages.js";

/** What travels on the wire (DESIGN §4): every message is view-stamped. */
export const Envelope = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(64),
  from: Address,
  to: Address,
  viewNum: z.int().min(0),
  sentAt: z.number(),
  body: MessageBody,
});
export type Envelope = z.infer<typeof Envelope>;
