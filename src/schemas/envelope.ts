import { z } from "zod";
import { Address } from "./address.js";

/** What every protocol's message bodies and timers have: a `type` that names them. */
export interface MessageBase {
  readonly type: string;
}
export type TimerBase = MessageBase;

/** A body as drivers see it without knowing the protocol: its type, and the rest unchecked. */
export const AnyBody = z.looseObject({ type: z.string().min(1).max(64) });

const envelopeFields = {
  v: z.literal(1),
  id: z.string().min(1).max(64),
  from: Address,
  to: Address,
  viewNum: z.int().min(0),
  sentAt: z.number(),
};

/**
 * What travels on the wire (DESIGN §4): every message is view-stamped. The
 * body's schema is the protocol's (`Protocol.messages`); drivers parse with
 * `protocol.envelope`, never with a body they do not know.
 */
export function envelopeSchema<Body extends z.ZodType<MessageBase>>(body: Body) {
  return z.object({ ...envelopeFields, body });
}

/** An envelope whose body is only known to have a type (taps, the chaos observer). */
export const AnyEnvelope = envelopeSchema(AnyBody);

export interface Envelope<Body extends MessageBase = MessageBase> {
  v: 1;
  id: string;
  from: Address;
  to: Address;
  viewNum: number;
  sentAt: number;
  body: Body;
}
