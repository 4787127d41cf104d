// The message tap: the dashboard binds queues of its own to `<c>.net` (one
// binding per actor address; a direct exchange gives every bound queue a
// copy) and to the fanout `<c>.lost` (a copy of everything lost). This file
// turns one such delivery into a TappedMessage (pure), and decides which
// ones the browser gets (a per-second budget, so heavy load stays cheap).
import { wireItems } from "../broker/wireBatch.js";
import type { Traffic } from "../protocols/dashboardSupport.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
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
  /** What it is to a viewer (the protocol's `dashboard.traffic`). */
  traffic: Traffic["kind"];
  /** For a client request or reply: the sequence number, to measure client latency. */
  seq: number | null;
  /** For a reply: whether it carried a result (not an error). */
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
 * Every envelope of one delivery from the net tap (`source: "net"`: it
 * reached an actor's queue, perhaps after a delay bucket) or the lost tap: one,
 * or each of a wire batch's (src/broker/wireBatch.ts). What is not a valid
 * envelope is left out (bad input is the actors' business; they reject it).
 */
export function classifyDeliveries(
  protocol: AnyProtocol,
  cluster: string,
  source: "net" | "lost",
  delivery: RawDelivery,
): TappedMessage[] {
  const tapped: TappedMessage[] = [];
  for (const item of wireItems(delivery.content.toString("utf8"))) {
    const message = classifyEnvelope(protocol, cluster, source, delivery, item);
    if (message !== null) tapped.push(message);
  }
  return tapped;
}

/** One delivery that carries one envelope, as `classifyDeliveries` sees it; null for anything else. */
export function classifyDelivery(
  protocol: AnyProtocol,
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
  return classifyEnvelope(protocol, cluster, source, delivery, json);
}

function classifyEnvelope(
  protocol: AnyProtocol,
  cluster: string,
  source: "net" | "lost",
  delivery: RawDelivery,
  json: unknown,
): TappedMessage | null {
  const parsed = protocol.envelope.safeParse(json);
  if (!parsed.success) return null;
  const envelope = parsed.data;
  const headers = delivery.properties.headers;
  const delayMs = delayBucketOf(cluster, headers);
  const fate: Fate = source === "lost" ? lostFate(headers) : delayMs !== null ? "delayed" : "delivered";
  const body = envelope.body;
  const traffic = protocol.dashboard.traffic(body);
  const label = protocol.describeMessage(envelope);
  return {
    id: envelope.id,
    from: envelope.from,
    to: envelope.to,
    type: body.type,
    label: label.length > labelLengthMax ? `${label.slice(0, labelLengthMax - 1)}…` : label,
    viewNum: envelope.viewNum,
    sentAt: envelope.sentAt,
    traffic: traffic.kind,
    seq: traffic.kind === "request" || traffic.kind === "reply" ? traffic.seq : null,
    replyOk: traffic.kind === "reply" && traffic.ok,
    fate,
    delayMs,
  };
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

  /** `heartbeat`: the cluster's heartbeat (pb: pings and views), most of its traffic when idle. */
  admit(now: number, heartbeat: boolean, isMarked: boolean): boolean {
    if (isMarked) return this.marked.take(now);
    if (heartbeat && !this.heartbeats.take(now)) return false;
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
