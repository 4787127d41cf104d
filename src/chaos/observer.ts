// The chaos runner's eyes on one cluster, none of which the cluster depends on:
// - every ClusterEvent (`<c>.events`, `#`), invalid ones counted;
// - a wiretap on what is routed to the nodes the protocol names
//   (`chaos.watch.tapped`, pb: the view server; a second queue bound to
//   `<c>.net` with their keys): the heartbeats they receive, so we know when
//   a view was taken up exactly as they do (`chaos.watch.takenUp`, pb: the
//   primary's pings acknowledging it);
// - a view watch: the protocol's configuration query (`broker.viewQuery`,
//   pb: GetView to the view server) published straight to its nodes (outside
//   the fault layer) every few ms, so the current view is never more than a
//   poll old; of several answering nodes the highest view counts (below);
// - copies of everything dead-lettered into `<c>.lost` and `<c>.rejected`
//   (our own queues bound to those fanout exchanges), counted by cause, and
//   the markers of the garbage campaign found in them.
import { publishControl } from "../broker/controlPublish.js";
import type { ConsumeMessage } from "amqplib";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import type { BrokerConnection } from "../broker/connection.js";
import { Tap } from "../broker/tap.js";
import { TapLease } from "../broker/tapLease.js";
import { wireItems } from "../broker/wireBatch.js";
import { type ClusterNames, faultPathHeader } from "../broker/topology.js";
import type { NodeAnswer } from "../protocols/chaosSupport.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { type Address, isServerAddress } from "../schemas/address.js";
import { ClusterEvent } from "../schemas/clusterEvents.js";
import type { Envelope } from "../schemas/envelope.js";
import { parseJsonWith, parseWith } from "../schemas/parse.js";
import type { View } from "../schemas/view.js";
import { findGarbageMarker } from "./garbageMarker.js";

/** The view watch asks for the configuration this often. */
export const viewPollMs = 40;
/**
 * An answer of a lower view than the one held replaces it only once the one
 * held is older than this: the node that said it has not said it again
 * (crashed, cut off), so the others' word is the newest there is.
 */
export const viewAnswerStaleMs = 3 * viewPollMs;
/** Polling step of `waitFor`. */
const waitStepMs = 20;

/** Why a message reached `<c>.lost`. */
export type LostCause = "drop" | "partition" | "refused" | "expired" | "overflow" | "unroutable";

export interface LostCounts {
  drop: number;
  partition: number;
  refused: number;
  expired: number;
  overflow: number;
  unroutable: number;
  total: number;
}

export interface RejectedCopy {
  node: string;
  source: string;
  reason: string;
  atMs: number;
}

export interface ViewObservation {
  view: View;
  primaryIncarnation: number | null;
  /** The node that answered. */
  from: Address;
  /** When its node sent it (epoch ms, its clock: comparable on one machine). */
  sentAtEpochMs: number;
  /** When we received it (performance.now()). */
  receivedAtMs: number;
}

interface PingRecord {
  lastAtMs: number;
  incarnation: number;
  viewNum: number;
}

export class ClusterObserver {
  /** Every valid event, in arrival order. */
  readonly events: ClusterEvent[] = [];
  readonly eventArrivalMs: number[] = [];
  invalidEvents = 0;
  /** Garbage markers seen in each place (marker id → copies). */
  readonly garbageInEvents = new Map<number, number>();
  readonly garbageInLost = new Map<number, { count: number; cause: LostCause }>();
  readonly garbageRejected = new Map<number, RejectedCopy[]>();
  readonly lost: LostCounts = {
    drop: 0,
    partition: 0,
    refused: 0,
    expired: 0,
    overflow: 0,
    unroutable: 0,
    total: 0,
  };
  /** Rejections by node (from the `<c>.rejected` copies the nodes publish). */
  readonly rejectedByNode = new Map<string, number>();
  /** Messages published straight to `<c>.rejected` (no node header). */
  rejectedWithoutNode = 0;
  private readonly pings = new Map<Address, PingRecord>();
  /** Each asked node's latest answer to the view watch (any view: the node's own word). */
  private readonly answers = new Map<Address, NodeAnswer>();
  /** When each asked node last answered the view watch (performance.now()): a sign of life, as a heartbeat is. */
  private readonly answeredAtMs = new Map<Address, number>();
  /** `server|viewNum|incarnation` and `server|viewNum|*` of every heartbeat the watched nodes were sent. */
  private readonly acknowledgements = new Set<string>();
  private latest: ViewObservation | null = null;
  private readonly taps: Tap[];
  /** Keeps the servers' traffic on the exchanges the watched-traffic tap is bound to. */
  private readonly lease: TapLease;
  private readonly watchAddress: Address;
  private pollTimer: NodeJS.Timeout | null = null;
  private pollCount = 0;

  constructor(
    private readonly protocol: AnyProtocol,
    private readonly names: ClusterNames,
    private readonly connection: BrokerConnection,
    private readonly log: Logger,
    /** The cluster's configuration (who answers the view query: VR's replicas). */
    private readonly config: ProtocolConfigBase = protocol.config.defaults,
  ) {
    const suffix = nanoid(8).replace(/[^A-Za-z0-9]/g, "x");
    this.watchAddress = `client-chaoswatch-${suffix}`;
    this.lease = new TapLease((command) => publishControl(connection, names, command));
    this.taps = [
      new Tap(`${names.cluster}.chaos.events.${suffix}`, [{ exchange: names.events, routingKey: "#" }], (m) =>
        this.onEvent(m),
      ),
      new Tap(
        `${names.cluster}.chaos.tap-${protocol.chaos.watch.tapped.join("-")}.${suffix}`,
        protocol.chaos.watch.tapped.flatMap((address) => [
          { exchange: names.net, routingKey: address },
          // What servers send a server travels on `<c>.peer`.
          ...(isServerAddress(address) ? [{ exchange: names.peer, routingKey: address }] : []),
        ]),
        (m) => this.onWatchedTraffic(m),
      ),
      new Tap(`${names.cluster}.chaos.lost.${suffix}`, [{ exchange: names.lost, routingKey: "" }], (m) =>
        this.onLost(m),
      ),
      new Tap(
        `${names.cluster}.chaos.rejected.${suffix}`,
        [{ exchange: names.rejected, routingKey: "" }],
        (m) => this.onRejected(m),
      ),
      new Tap(
        names.actorQueue(this.watchAddress),
        [{ exchange: names.net, routingKey: this.watchAddress }],
        (m) => this.onWatchReply(m),
      ),
    ];
  }

  async start(): Promise<void> {
    for (const tap of this.taps) await this.connection.add(tap);
    this.lease.start();
    this.pollTimer = setInterval(() => this.pollView(), viewPollMs);
  }

  async stop(): Promise<void> {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.lease.stop();
    for (const tap of this.taps) await tap.stop(this.connection);
  }

  // ---------------------------------------------------------------- what we know

  /** The newest view the watch was told, if any. */
  get view(): ViewObservation | null {
    return this.latest;
  }

  /** A view sent after this call (so no older than the call), or null on timeout. */
  async freshView(timeoutMs = 2_000): Promise<ViewObservation | null> {
    const askedAtEpochMs = epochMs();
    const seen = await this.waitFor(() => (this.latest?.sentAtEpochMs ?? 0) >= askedAtEpochMs, timeoutMs);
    return seen ? this.latest : null;
  }

  /** The view's nodes took it up, as the heartbeats to the watched nodes show (`chaos.watch.takenUp`; pb: its primary acknowledged it). */
  takenUp(observation: ViewObservation): boolean {
    return this.protocol.chaos.watch.takenUp(observation, (node, viewNum, incarnation) =>
      this.acknowledgements.has(`${node}|${viewNum}|${incarnation ?? "*"}`),
    );
  }

  /** The view serves with its full redundancy (`broker.ready`) and was taken up: the cluster is settled in it. */
  settled(observation: ViewObservation): boolean {
    return this.protocol.broker.ready(observation.view) && this.takenUp(observation);
  }

  /**
   * Milliseconds since the node was last heard from (Infinity: never): its
   * last heartbeat to a watched node, or its last answer to the view watch
   * (pb: servers only ping; VR's replicas answer the watch).
   */
  sincePingMs(server: Address): number {
    const lastAtMs = Math.max(
      this.pings.get(server)?.lastAtMs ?? -Infinity,
      this.answeredAtMs.get(server) ?? -Infinity,
    );
    return performance.now() - lastAtMs;
  }

  /** The node's own latest answer to the view watch, or null. */
  latestAnswer(node: Address): NodeAnswer | null {
    return this.answers.get(node) ?? null;
  }

  /** Polls `predicate` until it holds (true) or the time is up (false). */
  async waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (predicate()) return true;
      if (performance.now() >= deadline) return false;
      await sleep(waitStepMs);
    }
  }

  /** Index of the next event to arrive (for "events since"). */
  get eventMark(): number {
    return this.events.length;
  }

  /** Resolves with the first event at or after `since` that satisfies `predicate`, or null on timeout. */
  async waitForEvent(
    predicate: (event: ClusterEvent) => boolean,
    since: number,
    timeoutMs: number,
  ): Promise<ClusterEvent | null> {
    let checked = since;
    let found: ClusterEvent | null = null;
    await this.waitFor(() => {
      for (; checked < this.events.length && found === null; checked++) {
        const event = this.events[checked];
        if (event !== undefined && predicate(event)) found = event;
      }
      return found !== null;
    }, timeoutMs);
    return found;
  }

  // ---------------------------------------------------------------- deliveries

  private onEvent(message: ConsumeMessage): void {
    const parsed = parseJsonWith(ClusterEvent, message.content.toString("utf8"));
    if (!parsed.ok) {
      this.invalidEvents += 1;
      const marker = findGarbageMarker(message.content);
      if (marker !== null) this.garbageInEvents.set(marker, (this.garbageInEvents.get(marker) ?? 0) + 1);
      return;
    }
    this.events.push(parsed.value);
    this.eventArrivalMs.push(performance.now());
  }

  private onWatchedTraffic(message: ConsumeMessage): void {
    // Heartbeats are small; bigger messages and the garbage campaign's forged ones are not the servers'.
    if (message.content.length > 4096 || findGarbageMarker(message.content) !== null) return;
    // A wire batch (src/broker/wireBatch.ts) carries several.
    for (const item of wireItems(message.content.toString("utf8"))) this.onWatchedEnvelope(item);
  }

  private onWatchedEnvelope(item: unknown): void {
    const parsed = parseWith(this.protocol.envelope, item);
    if (!parsed.ok) return;
    const heartbeat = this.protocol.chaos.watch.heartbeat(parsed.value.body);
    if (heartbeat === null) return;
    const { from } = parsed.value;
    const { viewNum, incarnation } = heartbeat;
    this.pings.set(from, { lastAtMs: performance.now(), incarnation, viewNum });
    this.acknowledgements.add(`${from}|${viewNum}|${incarnation}`);
    this.acknowledgements.add(`${from}|${viewNum}|*`);
  }

  private onWatchReply(message: ConsumeMessage): void {
    for (const item of wireItems(message.content.toString("utf8"))) this.onWatchAnswer(item);
  }

  private onWatchAnswer(item: unknown): void {
    const parsed = parseWith(this.protocol.envelope, item);
    if (!parsed.ok) return;
    const envelope = parsed.value;
    if (!this.asked.includes(envelope.from)) return;
    // Any answer is a sign of life, one that states no configuration too (VR: a spare, a removed replica).
    this.answeredAtMs.set(envelope.from, performance.now());
    const report = this.protocol.chaos.watch.report(envelope.body);
    if (report === null) return;
    if ((this.answers.get(envelope.from)?.sentAtEpochMs ?? -Infinity) < envelope.sentAt)
      this.answers.set(envelope.from, { view: { ...report.view }, sentAtEpochMs: envelope.sentAt });
    if (!answerReplaces(this.latest, { from: envelope.from, sentAt: envelope.sentAt, view: report.view }))
      return;
    this.latest = {
      view: { ...report.view },
      primaryIncarnation: report.primaryIncarnation,
      from: envelope.from,
      sentAtEpochMs: envelope.sentAt,
      receivedAtMs: performance.now(),
    };
  }

  private onLost(message: ConsumeMessage): void {
    const cause = lostCause(message);
    this.lost[cause] += 1;
    this.lost.total += 1;
    const marker = findGarbageMarker(message.content);
    if (marker !== null) {
      const seen = this.garbageInLost.get(marker);
      this.garbageInLost.set(marker, { count: (seen?.count ?? 0) + 1, cause });
    }
  }

  private onRejected(message: ConsumeMessage): void {
    const headers = message.properties.headers ?? {};
    const node = headerText(headers["pbkv-node"]);
    if (node === "") {
      this.rejectedWithoutNode += 1;
    } else {
      this.rejectedByNode.set(node, (this.rejectedByNode.get(node) ?? 0) + 1);
    }
    const marker = findGarbageMarker(message.content);
    if (marker === null) return;
    const copies = this.garbageRejected.get(marker) ?? [];
    copies.push({
      node,
      source: headerText(headers["pbkv-source"]),
      reason: headerText(headers["pbkv-reason"]),
      atMs: performance.now(),
    });
    this.garbageRejected.set(marker, copies);
  }

  /** The nodes the view watch asks. */
  private get asked(): readonly Address[] {
    return this.protocol.broker.viewQuery.to(this.config);
  }

  private pollView(): void {
    this.pollCount += 1;
    const query = this.protocol.broker.viewQuery;
    for (const [index, node] of this.asked.entries()) {
      const envelope: Envelope = {
        v: 1,
        id: this.asked.length === 1 ? `watch-${this.pollCount}` : `watch-${this.pollCount}-${index}`,
        from: this.watchAddress,
        to: node,
        viewNum: this.latest?.view.viewNum ?? 0,
        sentAt: epochMs(),
        body: query.request,
      };
      // Straight to the node's queue: the watch is not subject to the fault layer.
      const sent = this.connection.publish(this.names.net, node, Buffer.from(JSON.stringify(envelope)), {
        contentType: "application/json",
      });
      if (!sent) this.log.debug(`view poll of ${node} not sent (disconnected)`);
    }
  }
}

/**
 * Whether an answer to the view watch replaces the observation held. Delays
 * reorder replies: a newer statement of the same node, or a newer one of at
 * least the view held, replaces it; a lower view of another node (behind, or
 * still changing views) only once the view held went stale. With one
 * answering node (pb) that is simply its newest statement.
 */
export function answerReplaces(
  held: Pick<ViewObservation, "from" | "view" | "sentAtEpochMs"> | null,
  answer: { from: Address; sentAt: number; view: View },
): boolean {
  if (held === null) return true;
  if (answer.sentAt <= held.sentAtEpochMs) return false;
  if (answer.from === held.from || answer.view.viewNum >= held.view.viewNum) return true;
  return answer.sentAt - held.sentAtEpochMs > viewAnswerStaleMs;
}

function lostCause(message: ConsumeMessage): LostCause {
  const headers = message.properties.headers ?? {};
  const why = headerText(headers["pbkv-lost"]);
  if (why === "drop" || (why === "" && headerText(headers[faultPathHeader]) === "drop")) return "drop";
  if (why === "partition") return "partition";
  const deaths = headers["x-death"];
  const first: unknown = Array.isArray(deaths) ? deaths[0] : undefined;
  const reason =
    typeof first === "object" && first !== null ? headerText((first as { reason?: unknown }).reason) : "";
  if (reason === "rejected") return "refused";
  if (reason === "expired") return "expired";
  if (reason === "maxlen") return "overflow";
  return "unroutable";
}

function headerText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

/** Epoch milliseconds the way actor hosts stamp `sentAt`. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sleeps `ms`, or less when `stop` is aborted meanwhile. */
export function sleepUnlessStopped(ms: number, stop: AbortSignal | undefined): Promise<void> {
  if (stop === undefined) return sleep(ms);
  if (stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done, { once: true });
  });
}
