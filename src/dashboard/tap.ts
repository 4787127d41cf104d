// The message tap: the dashboard binds queues of its own to `<c>.net` (one
// binding per actor address; a direct exchange gives every bound queue a
// copy) and to the fanout `<c>.lost` (a copy of everything lost). This file
// turns one such delivery into a TappedMessage (pure), and decides which
// ones the browser gets (a per-second budget, so heavy load stays cheap).
import { describeMessage } from "../protocols/pb/describe.js";
import type { Address } from "../schemas/address.js";
import type { Envelope } from "../schemas/envelope.js";
import { protocolNamed } from "../protocols/registry.js";

// Until the driver takes its protocol as an argument (issue 15).
const wireEnvelope = protocolNamed("pb").envelope;
import type { Fate } from "./protocol.js";

/** The parts of an AMQP delivery the tap reads (amqplib's ConsumeMessage fits). */
export interface RawDelivery {
  content: Buffer;
  fields: { routingKey: string };
  properties: { headers?: Record<string, unknown> | undefined };
}

export interface TappedMessage {
  id: string;
  from: Address;
  to: Address;
  type: string;
  label: string;
  viewNum: number;
  sentAt: number;
  /** For a Request / Reply: the sequence number, to measure client latency. */
  seq: number | null;
  /** For a Reply: whether it carried a result (not an error). */
  replyOk: boolean;
  fate: Fate;
  delayMs: number | null;
}

/** Longest label sent to the browser. */
export const labelLengthMax = 160;

interface DeathRecord {
  queue: string;
  reason: string;
}

/** `x-death` entries, most recent first (RabbitMQ's order). */
function deaths(headers: Record<string, unknown> | undefined): DeathRecord[] {
  const value = headers?.["x-death"];
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const record = entry as Record<string, unknown>;
    const queue = record["queue"];
    const reason = record["reason"];
    return typeof queue === "string" && typeof reason === "string" ? [{ queue, reason }] : [];
  });
}

/** The delay bucket a copy waited in (`<c>.delay.<ms>` in its x-death), or null. */
function delayBucketOf(cluster: string, headers: Record<string, unknown> | undefined): number | null {
  const prefix = `${cluster}.delay.`;
  for (const death of deaths(headers)) {
    if (death.queue.startsWith(prefix)) {
      const bucketMs = Number(death.queue.slice(prefix.length));
      if (Number.isFinite(bucketMs)) return bucketMs;
    }
  }
  return null;
}

/** Why a message reached `<c>.lost`: the fault layer's header, else its latest death. */
function lostFate(headers: Record<string, unknown> | undefined): Fate {
  const header = headers?.["pbkv-lost"];
  if (header === "partition") return "partitioned";
  if (header === "drop") return "dropped";
  const latest = deaths(headers)[0];
  if (latest === undefined) return "unroutable"; // through an alternate exchange
  return latest.reason === "rejected" ? "refused" : "expired";
}

/**
 * One delivery from the net tap (`source: "net"`: it reached an actor's
 * queue, perhaps after a delay bucket) or the lost tap. Null for what is not
 * a valid envelope (bad input is the actors' business; they reject it).
 */
export function classifyDelivery(
  cluster: string,
  source: "net" | "lost",
  delivery: RawDelivery,
): TappedMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(delivery.content.toString("utf8"));
  } catch {
    return null;
  }
  const parsed = wireEnvelope.safeParse(json);
  if (!parsed.success) return null;
  const envelope = parsed.data;
  const headers = delivery.properties.headers;
  const delayMs = delayBucketOf(cluster, headers);
  const fate: Fate = source === "lost" ? lostFate(headers) : delayMs !== null ? "delayed" : "delivered";
  const body = envelope.body;
  const label = describeMessage(envelope);
  return {
    id: envelope.id,
    from: envelope.from,
    to: envelope.to,
    type: body.type,
    label: label.length > labelLengthMax ? `${label.slice(0, labelLengthMax - 1)}…` : label,
    viewNum: envelope.viewNum,
    sentAt: envelope.sentAt,
    seq: body.type === "Request" || body.type === "Reply" ? body.seq : null,
    replyOk: body.type === "Reply" && body.result.ok,
    fate,
    delayMs,
  };
}

/** Pings and view replies: the cluster's heartbeat, most of its traffic when idle. */
export function isHeartbeat(type: string): boolean {
  return type === "Ping" || type === "ViewReply" || type === "GetView";
}

/**
 * Which tapped messages the browser gets: token buckets refilled evenly, so
 * the samples spread over time. Up to `perSecond` ordinary messages a second
 * (heartbeats at most a quarter of them, so client traffic shows) and up to
 * `perSecond` marked ones (lost, delayed, duplicated), which are what a
 * viewer looks for.
 */
export class Sampler {
  private readonly ordinary: TokenBucket;
  private readonly heartbeats: TokenBucket;
  private readonly marked: TokenBucket;

  constructor(readonly perSecond: number) {
    this.ordinary = new TokenBucket(perSecond);
    this.heartbeats = new TokenBucket(Math.max(1, perSecond / 4));
    this.marked = new TokenBucket(perSecond);
  }

  admit(now: number, type: string, isMarked: boolean): boolean {
    if (isMarked) return this.marked.take(now);
    if (isHeartbeat(type) && !this.heartbeats.take(now)) return false;
    return this.ordinary.take(now);
  }
}

/** `ratePerSecond` tokens a second, at most a tenth of a second's worth saved up (at least one). */
class TokenBucket {
  private tokens: number;
  private readonly capacity: number;
  private lastAt = -Infinity;

  constructor(private readonly ratePerSecond: number) {
    this.capacity = Math.max(1, ratePerSecond / 10);
    this.tokens = this.capacity;
  }

  take(now: number): boolean {
    if (this.lastAt !== -Infinity) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastAt) / 1_000) * this.ratePerSecond);
    }
    this.lastAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
