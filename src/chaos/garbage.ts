// The bad-input campaign: while the load runs, malformed and hostile messages
// go to every queue and exchange of the cluster, each with a marker (see
// garbageMarker.ts) so that its fate can be found afterwards:
// - invalid input on an actor queue (not JSON, wrong types, unknown message
//   types, over 1 MiB, misaddressed, bad bodies) must be rejected by that node
//   with a reason: a copy in `<c>.rejected` carrying its node and reason;
// - well-formed but hostile messages, made by the protocol (`chaos.hostileToNodes`,
//   pb: stale and future view numbers, pings acknowledging views that do not
//   exist, replies to requests never sent, messages from servers that do not
//   exist) reach the actor, which refuses them by protocol; they must not be
//   rejected at the boundary;
// - invalid control commands must be rejected by every host that was up;
//   well-formed commands naming nodes that do not exist are ignored by all;
// - garbage on `<c>.events` is skipped by subscribers; what cannot be routed
//   (unknown addresses, bad delay headers) or is sent to `<c>.lost` ends in `<c>.lost`.
// It never forges what the protocol must trust (pb: a view from the view
// server, a reply or an ack a node is waiting for): that is a Byzantine fault,
// outside the fault model.
import type { Options } from "amqplib";
import type { BrokerConnection } from "../broker/connection.js";
import { delayBucketsMs, dropPath, faultPathHeader } from "../broker/topology.js";
import type { HostileInput, HostileMessage, InvalidBody } from "../protocols/chaosSupport.js";
import type { Address } from "../schemas/address.js";
import type { MessageBase } from "../schemas/envelope.js";
import { messageBytesMax } from "../schemas/limits.js";
import type { Random } from "../sim/random.js";
import type { ChaosCluster } from "./cluster.js";
import { garbageMarker } from "./garbageMarker.js";
import { sleep } from "./observer.js";

/** What must become of a garbage message. */
export type GarbageExpectation =
  /** Rejected at the boundary by `target` (a copy with its reason in `<c>.rejected`). */
  | "rejected"
  /** Well-formed: delivered to `target` and refused by the protocol; never rejected at the boundary. */
  | "refused"
  /** A control command every host rejects. */
  | "rejectedByAll"
  /** A well-formed control command for a node that does not exist: ignored by everyone. */
  | "ignoredByAll"
  /** Ends in `<c>.lost` (unroutable, dropped, or sent there). */
  | "lost"
  /** Sent to `<c>.rejected` directly. */
  | "inRejected"
  /** Sent to `<c>.events`: subscribers skip it. */
  | "invalidEvent";

export interface GarbageItem {
  id: number;
  kind: string;
  expect: GarbageExpectation;
  /** The node that must reject or refuse it (actor items). */
  target: Address | null;
  /** The start of the reason the node must give, when it is known. */
  reasonStart: string | null;
  sentAtMs: number;
  bytes: number;
}

interface Draft {
  id?: number;
  kind: string;
  expect: GarbageExpectation;
  target: Address | null;
  reasonStart?: string;
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties?: Options.Publish;
}

export interface GarbageOptions {
  cluster: ChaosCluster;
  /** Our own connection, so a flood does not hold up the nemesis's commands. */
  connection: BrokerConnection;
  random: Random;
  ratePerSecond: number;
  /** Oversized messages (over 1 MiB) at most this often. */
  oversizedEveryMs: number;
}

const tickMs = 50;
const nowhere = "server-404";

export class GarbageCampaign {
  readonly sent: GarbageItem[] = [];
  /** Publishes our connection refused (it was down): not sent, not counted. */
  notSent = 0;
  private nextId = 1;
  private stopped = false;
  private running: Promise<void> | null = null;
  private lastOversizedMs = -Infinity;
  private readonly liveClients = new Set<Address>();
  private clientEventsSeen = 0;

  constructor(private readonly options: GarbageOptions) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    // By elapsed time, not by ticks: on a busy machine ticks come late.
    const startedMs = performance.now();
    let published = 0;
    while (!this.stopped) {
      const owed = Math.floor(((performance.now() - startedMs) * this.options.ratePerSecond) / 1000);
      for (; published < owed; published++) this.publish(this.draft());
      await sleep(tickMs);
    }
  }

  private publish(draft: Draft & { id: number }): void {
    const sent = this.options.connection.publish(
      draft.exchange,
      draft.routingKey,
      draft.content,
      draft.properties,
    );
    if (!sent) {
      this.notSent += 1;
      return;
    }
    this.sent.push({
      id: draft.id,
      kind: draft.kind,
      expect: draft.expect,
      target: draft.target,
      reasonStart: draft.reasonStart ?? null,
      sentAtMs: performance.now(),
      bytes: draft.content.length,
    });
  }

  // ---------------------------------------------------------------- drafting

  private draft(): Draft & { id: number } {
    const id = this.nextId++;
    return { ...this.choose(garbageMarker(id)), id };
  }

  private choose(marker: string): Draft {
    const random = this.options.random;
    const roll = random.next();
    const nowMs = performance.now();
    if (nowMs - this.lastOversizedMs >= this.options.oversizedEveryMs && random.chance(0.2)) {
      this.lastOversizedMs = nowMs;
      return random.chance(0.75) ? this.oversizedActor(marker) : this.oversizedControl(marker);
    }
    if (roll < 0.45) return this.invalidActor(marker, this.pickNode());
    if (roll < 0.65) return this.hostileActor(marker);
    if (roll < 0.72) return this.toClient(marker);
    if (roll < 0.84) return this.control(marker);
    return this.elsewhere(marker);
  }

  private pickNode(): Address {
    return this.options.random.pick(this.options.cluster.addresses);
  }

  /** Invalid input on a node's queue (through `<c>.net`, the delay exchange, or the default exchange). */
  private invalidActor(marker: string, target: Address): Draft {
    const random = this.options.random;
    const other = this.options.cluster.addresses.find((address) => address !== target) ?? nowhere;
    const { chaos } = this.options.cluster.options.protocol;
    const variants = invalidEnvelopes(marker, target, other, chaos.harmlessBody, chaos.invalidBodies(marker));
    const variant = random.pick(variants);
    const names = this.options.cluster.names;
    const content = Buffer.from(variant.text(), "latin1");
    const route = random.next();
    const base = {
      kind: `actor/${variant.kind}`,
      expect: "rejected" as const,
      target,
      content,
      properties: randomProperties(random, this.options.cluster.addresses[0] ?? nowhere),
      ...(variant.reasonStart !== undefined ? { reasonStart: variant.reasonStart } : {}),
    };
    if (route < 0.1) {
      // Through a delay bucket: it expires into `<c>.net` keeping its routing key.
      const bucket = String(random.pick(delayBucketsMs.filter((ms) => ms <= 50)));
      const headers = { ...(base.properties.headers ?? {}), [faultPathHeader]: bucket };
      return {
        ...base,
        kind: `${base.kind} (delayed)`,
        exchange: names.delay,
        routingKey: target,
        properties: { ...base.properties, headers },
      };
    }
    if (route < 0.2) {
      return {
        ...base,
        kind: `${base.kind} (default exchange)`,
        exchange: "",
        routingKey: names.actorQueue(target),
      };
    }
    return { ...base, exchange: names.net, routingKey: target };
  }

  private oversizedActor(marker: string): Draft {
    const target = this.pickNode();
    const random = this.options.random;
    const size = messageBytesMax + 1 + random.int(64 * 1024);
    const content = Buffer.alloc(size, 0x20);
    const valid = random.chance(0.5);
    const head = valid
      ? `{"id":"${marker}","v":1,"from":"client-x","to":"${target}","viewNum":0,"sentAt":0,"body":${JSON.stringify(this.options.cluster.options.protocol.chaos.harmlessBody)},"pad":"`
      : `${marker} oversized `;
    content.write(head, 0, "latin1");
    if (valid) content.write('"}', size - 2, "latin1");
    return {
      kind: valid ? "actor/oversized-valid-json" : "actor/oversized",
      expect: "rejected",
      target,
      reasonStart: "oversized",
      exchange: this.options.cluster.names.net,
      routingKey: target,
      content,
    };
  }

  /** Well-formed messages a node must refuse by protocol (the protocol's `chaos.hostileToNodes`). */
  private hostileActor(marker: string): Draft {
    const cluster = this.options.cluster;
    const chosen = this.options.random.pick(
      cluster.options.protocol.chaos.hostileToNodes(this.hostileInput(marker)),
    );
    return {
      kind: `hostile/${chosen.kind}`,
      expect: "refused",
      target: chosen.to,
      exchange: cluster.names.net,
      routingKey: chosen.to,
      content: Buffer.from(hostileText(marker, chosen, Date.now())),
    };
  }

  private hostileInput(marker: string): HostileInput {
    const cluster = this.options.cluster;
    const view = cluster.observer.view?.view ?? null;
    return { marker, nodes: cluster.nodes, view, random: this.options.random };
  }

  /** The load's clients: invalid input, replies to requests never sent, views from impostors. */
  private toClient(marker: string): Draft {
    const client = this.pickClient();
    if (client === null) return this.invalidActor(marker, this.pickNode());
    const random = this.options.random;
    if (random.chance(0.5)) {
      const draft = this.invalidActor(marker, client);
      return { ...draft, kind: `client/${draft.kind}` };
    }
    const chosen = this.options.cluster.options.protocol.chaos.hostileToClient(
      this.hostileInput(marker),
      client,
    );
    return {
      kind: `client/hostile/${chosen.kind}`,
      expect: "refused",
      target: client,
      exchange: this.options.cluster.names.net,
      routingKey: client,
      content: Buffer.from(hostileText(marker, chosen, 0)),
    };
  }

  private pickClient(): Address | null {
    const { events } = this.options.cluster.observer;
    for (; this.clientEventsSeen < events.length; this.clientEventsSeen++) {
      const event = events[this.clientEventsSeen];
      if (
        event?.type !== "lifecycle" ||
        !event.node.startsWith("client-") ||
        event.node.startsWith("client-chaos")
      )
        continue;
      if (event.state === "started") this.liveClients.add(event.node);
      if (event.state === "stopped") this.liveClients.delete(event.node);
    }
    const live = [...this.liveClients];
    return live.length === 0 ? null : this.options.random.pick(live);
  }

  private control(marker: string): Draft {
    const random = this.options.random;
    const control = this.options.cluster.names.control;
    if (random.chance(0.15)) {
      const command = random.chance(0.5)
        ? { marker, type: "crash", node: "server-97" }
        : { marker, type: "restart", node: `client-nobody${random.int(1000)}` };
      return {
        kind: `control/${command.type}-of-an-unknown-node`,
        expect: "ignoredByAll",
        target: null,
        exchange: control,
        routingKey: "",
        content: Buffer.from(JSON.stringify(command)),
      };
    }
    const variants: { kind: string; text: string; reasonStart?: string }[] = [
      { kind: "not-json", text: `${marker} {"type":"crash"`, reasonStart: "not JSON" },
      { kind: "binary", text: `${marker}\u0000\u00ff\u00fe\u0001`, reasonStart: "not JSON" },
      { kind: "array", text: JSON.stringify([marker, { type: "heal" }]) },
      { kind: "unknown-type", text: JSON.stringify({ marker, type: "explode" }) },
      { kind: "crash-without-node", text: JSON.stringify({ marker, type: "crash" }) },
      { kind: "crash-bad-address", text: JSON.stringify({ marker, type: "crash", node: "server 1!" }) },
      {
        kind: "net-drop-out-of-range",
        text: JSON.stringify({ marker, type: "net", drop: 7, duplicate: 0, delayMs: [0, 0] }),
      },
      {
        kind: "net-delay-backwards",
        text: JSON.stringify({ marker, type: "net", drop: 0, duplicate: 0, delayMs: [50, 10] }),
      },
      {
        kind: "net-delay-too-long",
        text: JSON.stringify({ marker, type: "net", drop: 0, duplicate: 0, delayMs: [0, 20_000] }),
      },
      {
        kind: "net-wrong-types",
        text: JSON.stringify({ marker, type: "net", drop: "0.5", duplicate: null, delayMs: "0-50" }),
      },
      {
        kind: "partition-node-twice",
        text: JSON.stringify({ marker, type: "partition", groups: [["server-1"], ["server-1"]] }),
      },
      { kind: "partition-no-groups", text: JSON.stringify({ marker, type: "partition", groups: [] }) },
    ];
    const variant = random.pick(variants);
    return {
      kind: `control/${variant.kind}`,
      expect: "rejectedByAll",
      target: null,
      ...(variant.reasonStart !== undefined ? { reasonStart: variant.reasonStart } : {}),
      exchange: control,
      routingKey: "",
      content: Buffer.from(variant.text, "latin1"),
    };
  }

  private oversizedControl(marker: string): Draft {
    const content = Buffer.alloc(messageBytesMax + 1, 0x20);
    content.write(`{"marker":"${marker}","type":"heal","pad":"`, 0, "latin1");
    content.write('"}', content.length - 2, "latin1");
    return {
      kind: "control/oversized",
      expect: "rejectedByAll",
      target: null,
      reasonStart: "oversized",
      exchange: this.options.cluster.names.control,
      routingKey: "",
      content,
    };
  }

  /** Every other exchange and queue: events, lost, rejected, delay and drop queues, unknown addresses. */
  private elsewhere(marker: string): Draft {
    const random = this.options.random;
    const names = this.options.cluster.names;
    const junk = Buffer.from(`${marker} junk ${random.int(1e9)}`);
    const firstNode = this.options.cluster.addresses[0] ?? nowhere;
    const variants: Draft[] = [
      {
        kind: "events/garbage",
        expect: "invalidEvent",
        target: null,
        exchange: names.events,
        routingKey: random.pick([
          `view.${firstNode}`,
          "counters.server-1",
          "lifecycle.server-2",
          `fault.${firstNode}`,
        ]),
        content: random.chance(0.5)
          ? junk
          : Buffer.from(JSON.stringify({ marker, v: 1, type: "view", node: 5 })),
      },
      {
        kind: "lost/direct",
        expect: "lost",
        target: null,
        exchange: names.lost,
        routingKey: "",
        content: junk,
      },
      {
        kind: "rejected/direct",
        expect: "inRejected",
        target: null,
        exchange: names.rejected,
        routingKey: "",
        content: junk,
      },
      {
        kind: "net/unknown-address",
        expect: "lost",
        target: null,
        exchange: names.net,
        routingKey: nowhere,
        content: junk,
      },
      {
        kind: "delay/no-header",
        expect: "lost",
        target: null,
        exchange: names.delay,
        routingKey: "server-1",
        content: junk,
      },
      {
        kind: "delay/unknown-bucket",
        expect: "lost",
        target: null,
        exchange: names.delay,
        routingKey: "server-1",
        content: junk,
        properties: { headers: { [faultPathHeader]: "999" } },
      },
      {
        kind: "delay/drop",
        expect: "lost",
        target: null,
        exchange: names.delay,
        routingKey: "server-1",
        content: junk,
        properties: { headers: { [faultPathHeader]: dropPath }, expiration: "0" },
      },
      {
        kind: "queue/drop-queue-directly",
        expect: "lost",
        target: null,
        exchange: "",
        routingKey: names.drop,
        content: junk,
      },
      {
        kind: "queue/delay-queue-directly",
        expect: "lost",
        target: null,
        exchange: "",
        routingKey: names.delayQueue(5),
        content: junk,
      },
    ];
    return random.pick(variants);
  }
}

/** An invalid message for a node, built only when picked (some are big), with the start of its reason when known. */
interface InvalidVariant {
  kind: string;
  text: () => string;
  reasonStart?: string;
}

/**
 * Invalid envelopes for `target`: the envelope's own faults around `harmless`
 * (a valid body), then the protocol's invalid bodies in a valid envelope.
 */
function invalidEnvelopes(
  marker: string,
  target: Address,
  other: Address,
  harmless: MessageBase,
  bodies: readonly InvalidBody[],
): InvalidVariant[] {
  const valid = { id: marker, v: 1, from: "client-garbage", to: target, viewNum: 0, sentAt: 0 };
  const json = (value: unknown): string => JSON.stringify(value);
  const harmlessText = json(harmless);
  return [
    { kind: "not-json", text: () => `${marker} this is {not json`, reasonStart: "not JSON" },
    {
      kind: "truncated-json",
      text: () => json({ ...valid, body: harmless }).slice(0, 60),
      reasonStart: "not JSON",
    },
    { kind: "invalid-utf8", text: () => `${marker}\u00ff\u00fe\u00c3\u0028`, reasonStart: "not JSON" },
    { kind: "json-array", text: () => json([marker, 1, 2]) },
    { kind: "json-string", text: () => json(marker) },
    { kind: "wrong-version", text: () => json({ ...valid, v: 2, body: harmless }) },
    {
      kind: "wrong-types",
      text: () => json({ ...valid, viewNum: "3", sentAt: "now", body: harmless }),
    },
    { kind: "negative-view", text: () => json({ ...valid, viewNum: -1, body: harmless }) },
    { kind: "fractional-view", text: () => json({ ...valid, viewNum: 1.5, body: harmless }) },
    {
      kind: "infinite-view",
      text: () =>
        `{"id":"${marker}","v":1,"from":"client-garbage","to":"${target}","viewNum":1e400,"sentAt":0,"body":${harmlessText}}`,
    },
    { kind: "unknown-type", text: () => json({ ...valid, body: { type: "Nonsense", extra: 1 } }) },
    { kind: "missing-body", text: () => json(valid) },
    { kind: "null-fields", text: () => json({ ...valid, from: null, body: null }) },
    {
      kind: "bad-sender-address",
      text: () => json({ ...valid, from: "bad address!", body: harmless }),
    },
    {
      kind: "id-too-long",
      text: () => json({ ...valid, id: `${marker}${"i".repeat(100)}`, body: harmless }),
    },
    {
      kind: "misaddressed",
      text: () => json({ ...valid, to: other, body: harmless }),
      reasonStart: "addressed to",
    },
    ...bodies.map((invalid) => ({
      kind: invalid.kind,
      text: () => json({ ...valid, body: invalid.body() }),
    })),
    {
      kind: "proto-keys",
      text: () =>
        `{"id":"${marker}","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"v":1,"to":"${target}","body":${harmlessText}}`,
    },
    {
      kind: "deep-nesting",
      text: () =>
        `{"id":"${marker}","v":1,"from":"client-garbage","to":"${target}","viewNum":0,"sentAt":0,"body":${"[".repeat(20_000)}${"]".repeat(20_000)}}`,
    },
  ];
}

/** Content types and headers that lie: hosts must judge by the content only. */
function randomProperties(random: Random, someNode: Address): Options.Publish {
  const roll = random.next();
  if (roll < 0.3) return { contentType: "application/json" };
  if (roll < 0.5) return { contentType: "text/plain", contentEncoding: "gzip" };
  if (roll < 0.7) return { headers: { "pbkv-from": someNode, "pbkv-path": "drop" } };
  return {};
}

/** A hostile message as it goes on the wire: a valid envelope carrying the marker as its id. */
function hostileText(marker: string, message: HostileMessage, sentAt: number): string {
  const { from, to, viewNum, body } = message;
  return JSON.stringify({ id: marker, v: 1, from, to, viewNum, sentAt, body });
}
