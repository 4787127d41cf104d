// The dashboard's picture of one cluster, built from `<c>.events` and the
// message tap: the view and its history (with a reason for each change),
// every node's role, liveness and counters, the network faults in force,
// a log, per-second series, the last load runs, and the sampled messages of
// the space-time diagram. Pure: the clock is passed in, the broker is
// elsewhere (feed.ts), and every collection is bounded.
import { describeLoadEvent } from "../broker/events.js";
import { applyToFaults, cleanFaults, describeFaults, type FaultSettings } from "../broker/faults.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import type {
  ClusterEvent,
  LoadEvent,
  NodeCounters,
  NodeStatus,
  ProtocolFigures,
} from "../schemas/clusterEvents.js";
import type { ControlCommand } from "../schemas/control.js";
import { membersOf, type View } from "../schemas/view.js";
import { configuringNodes } from "../protocols/viewHelpers.js";
import type {
  DashboardSummary,
  FaultSummary,
  LoadRun,
  LogEntry,
  MessageSample,
  NodeSummary,
  ProtocolSummary,
  Role,
  SeriesPoint,
  ViewRecord,
} from "./protocol.js";
import { explainViewChange, type Incident } from "./reasons.js";
import { Sampler, type TappedMessage } from "./tap.js";

/** A node not heard from this long is shown as silent (counters come every second, pings far more often). */
export const silentAfterMs = 2_500;
export const viewsMax = 500;
export const logEntriesMax = 300;
export const incidentsMax = 200;
/** Seconds of series kept, and shown. */
export const seriesSecondsMax = 120;
export const seriesSecondsShown = 60;
export const loadRunsMax = 10;
/** Sampled messages kept for a browser that connects (the diagram shows a few seconds). */
export const recentSamplesMax = 3_000;
export const recentSamplesMs = 30_000;
/** Message ids remembered to spot duplicates and later losses. */
export const trackedIdsMax = 20_000;
/** Client requests remembered to measure latency. */
export const trackedRequestsMax = 10_000;
export const latenciesPerSecondMax = 5_000;
/** The same network command acknowledged by every node is logged once within this window. */
export const faultFoldMs = 2_000;
/**
 * A node's figures (its answer to the `status` command, which the feed sends
 * every second) older than this are not shown: the node stopped answering.
 */
export const statusStaleMs = 3_000;

export interface ModelOptions {
  protocol: AnyProtocol;
  /** The cluster's configuration (VR: which replicas state views); default: the protocol's defaults. */
  config?: ProtocolConfigBase;
  cluster: string;
  broker: string;
  projectDirectory: string;
  tap: boolean;
  samplesPerSecond: number;
}

interface NodeRecord {
  address: Address;
  selfRole: Role | null;
  selfViewNum: number | null;
  lastSeenAt: number | null;
  lifecycle: string | null;
  crashed: boolean;
  stopped: boolean;
  counters: NodeCounters | null;
  /** The counters when this life began (a restart): shown counters are this life's only. */
  countersAtLifeStart: NodeCounters | null;
  forwards: number;
  transfers: number;
  /** Its latest answer to the `status` command, and when; null in a new life until it answers. */
  status: NodeStatus | null;
  statusAt: number | null;
}

interface Bucket {
  ops: number;
  messages: number;
  lost: number;
  latenciesMs: number[];
}

export class DashboardModel {
  private view: View | null = null;
  private viewAt: number | null = null;
  private readonly views: ViewRecord[] = [];
  private readonly nodes = new Map<Address, NodeRecord>();
  private readonly faults: FaultSettings = cleanFaults();
  private readonly incidents: Incident[] = [];
  private readonly log: LogEntry[] = [];
  private readonly faultsLogged = new Map<string, number>();
  private readonly rejectsLoggedAt = new Map<Address, number>();
  private readonly buckets = new Map<number, Bucket>();
  private readonly loads: LoadRun[] = [];
  private readonly samples = new Map<string, MessageSample>();
  private pending: MessageSample[] = [];
  private readonly copies = new Map<string, { copies: number; sampledKey: string | null }>();
  private readonly requests = new Map<string, number>();
  private readonly sampler: Sampler;
  private seen = 0;
  private sampled = 0;
  private invalidEvents = 0;
  private connected = false;
  private clusterRunning = false;
  private statusAnswered = false;
  private statusWithFigures = false;
  /** Bumped by every change a summary shows. */
  version = 0;

  constructor(private readonly options: ModelOptions) {
    this.sampler = new Sampler(options.samplesPerSecond);
  }

  // ---------------------------------------------------------------- inputs

  setStatus(status: { connected: boolean; clusterRunning: boolean }): void {
    if (status.connected === this.connected && status.clusterRunning === this.clusterRunning) return;
    this.connected = status.connected;
    this.clusterRunning = status.clusterRunning;
    this.version += 1;
  }

  /** The view as a probe saw it (when the dashboard starts after the cluster). */
  onProbedView(view: View, at: number): void {
    // pb's view 0 names nobody (no view yet); VR's view 0 is its first, with a primary.
    if (view.viewNum === 0 && view.primary === null) return;
    const current = this.view;
    // Events tell the views' history: a probe fills in only the first one.
    if (current === null) return this.acceptView(view, at, this.configuringNodes[0] ?? "");
    // The same view asked again while its status said it was not serving (a replica still
    // recovering answered first): only an answer that it serves now changes the status.
    if (view.viewNum === current.viewNum && this.options.protocol.broker.ready(view))
      this.updateStatus(view, at, this.configuringNodes[0] ?? "");
  }

  /**
   * Whether the feed should ask for the view (views are published only on a
   * change): none yet, or one whose status says it does not serve yet (VR: a
   * recovering replica answered the first probe) and may since, silently.
   */
  needsView(): boolean {
    const view = this.view;
    return view === null || (view.status !== undefined && !this.options.protocol.broker.ready(view));
  }

  onEvent(event: ClusterEvent): void {
    if (event.type === "load") {
      this.onLoad(event);
      return;
    }
    if (!this.isClusterNode(event.node)) {
      if (event.type === "rejected") this.logRejected(event.node, event.at, event.source, event.reason);
      return; // clients (kv, load, probes) come and go
    }
    const node = this.node(event.node);
    node.lastSeenAt = Math.max(node.lastSeenAt ?? 0, event.at);
    this.version += 1;
    switch (event.type) {
      case "view":
        // The configuring nodes' views are the cluster's; the others say what they learned.
        if (this.configuringNodes.includes(event.node))
          this.acceptView(event.view, event.at, event.node, event.reason);
        else node.selfViewNum = Math.max(node.selfViewNum ?? 0, event.view.viewNum);
        return;
      case "role":
        node.selfRole = event.role;
        node.selfViewNum = event.viewNum;
        this.addLog({
          at: event.at,
          node: event.node,
          kind: "role",
          text: `is ${event.role} in view ${event.viewNum}`,
        });
        return;
      case "transfer":
        node.transfers += 1;
        this.addLog({
          at: event.at,
          node: event.node,
          kind: "transfer",
          text: `state transfer to ${event.to} confirmed (view ${event.viewNum}, ${event.applied} ops applied)`,
        });
        return;
      case "fault":
        this.onFault(event.node, event.at, event.command, event.effect);
        return;
      case "counters":
        this.onCounters(node, event.at, event.counters);
        return;
      case "rejected":
        this.logRejected(event.node, event.at, event.source, event.reason);
        return;
      case "lifecycle":
        this.onLifecycle(node, event.at, event.state, event.detail);
        return;
      case "status":
        node.status = event.status;
        node.statusAt = event.at;
        this.statusWithFigures ||= event.status.figures !== undefined;
        this.statusAnswered = true;
        return;
    }
  }

  /**
   * Whether the feed should keep asking the nodes for their status: until the
   * first answer, and afterwards only when the protocol reports figures of its
   * own (VR: status, op-number, commit-number). pb's say nothing the page does
   * not already know, and a status costs a pass over the store.
   */
  wantsStatus(): boolean {
    return !this.statusAnswered || this.statusWithFigures;
  }

  onTapped(message: TappedMessage, receivedAt: number): void {
    this.seen += 1;
    if (message.fate === "delivered" || message.fate === "delayed") this.onArrived(message, receivedAt);
    else this.onLost(message, receivedAt);
  }

  /** The dashboard published (or refused to publish) a control command. */
  noteControl(at: number, command: ControlCommand | null, error: string | null): void {
    const text = error === null ? `sent ${JSON.stringify(command)}` : `control refused: ${error}`;
    this.addLog({ at, node: "dashboard", kind: "control", text, ...(error === null ? {} : { bad: true }) });
    this.version += 1;
  }

  /** An event on `<c>.events` failed the schema: the feed skipped it; counted and logged (at most once a second). */
  noteInvalidEvent(reason: string, at: number): void {
    this.invalidEvents += 1;
    this.logRejected("dashboard", at, "event", reason);
    this.version += 1;
  }

  // ---------------------------------------------------------------- outputs

  /** The current view, as far as the dashboard knows. */
  currentView(): View | null {
    return this.view;
  }

  summary(now: number): DashboardSummary {
    return {
      cluster: this.options.cluster,
      protocol: this.protocolSummary(),
      broker: this.options.broker,
      projectDirectory: this.options.projectDirectory,
      connected: this.connected,
      clusterRunning: this.clusterRunning,
      tap: this.options.tap,
      now,
      view: this.view === null ? null : { ...this.view },
      views: this.views.map((record) => ({ ...record })),
      nodes: this.nodeSummaries(now),
      faults: this.faultSummary(),
      log: this.log.map((entry) => ({ ...entry })),
      series: this.seriesPoints(now),
      loads: this.loads.map((run) => ({ ...run })),
      invalidEvents: this.invalidEvents,
      sampling: { perSecond: this.sampler.perSecond, seen: this.seen, sampled: this.sampled },
    };
  }

  private protocolSummary(): ProtocolSummary {
    const { protocol } = this.options;
    const partition = this.view === null ? null : protocol.chaos.partition(this.view);
    return {
      name: protocol.name,
      title: protocol.title,
      roles: protocol.roles.map((role) => ({
        name: role.name,
        summary: role.summary,
        crashable: role.crashable,
        ...(protocol.dashboard.roles[role.name] ?? { label: role.name, inViews: true, crashWarning: null }),
      })),
      configuring: this.configuringLabel(),
      cut: {
        ...protocol.dashboard.cut,
        groups: partition === null ? null : [[partition.isolated], [...partition.from]],
      },
    };
  }

  /** Samples made or changed since the last call. */
  takeSamples(): MessageSample[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** The samples of the last `recentSamplesMs`, for a browser that just connected. */
  recentSamples(now: number): MessageSample[] {
    this.pruneSamples(now);
    return [...this.samples.values()];
  }

  // ---------------------------------------------------------------- load runs

  /** The run's newest event replaces its older one and moves it last: the page shows the run heard of last. */
  private onLoad(event: LoadEvent): void {
    const index = this.loads.findIndex((run) => run.run === event.run && run.cluster === event.cluster);
    // The start and the verdict come over different connections: a start that arrives late changes nothing.
    if (index >= 0 && event.result === "running" && this.loads[index]?.result !== "running") return;
    if (index >= 0) this.loads.splice(index, 1);
    this.loads.push({ ...event });
    while (this.loads.length > loadRunsMax) this.loads.shift();
    const bad = event.result === "not-linearizable" || event.result === "unknown";
    this.addLog({
      at: event.at,
      node: event.node,
      kind: "load",
      text: describeLoadEvent(event),
      ...(bad ? { bad } : {}),
    });
    this.version += 1;
  }

  // ---------------------------------------------------------------- views and nodes

  private acceptView(view: View, at: number, announcedBy: Address, viewServerReason?: string): void {
    const previous = this.view;
    if (previous !== null && view.viewNum < previous.viewNum) return;
    if (previous !== null && view.viewNum === previous.viewNum)
      return this.updateStatus(view, at, announcedBy);
    const reason = explainViewChange(this.options.protocol, previous, view, {
      previousAt: this.viewAt,
      incidents: this.incidents,
      faults: this.faults,
    });
    this.view = withMembersOf(view, previous);
    this.viewAt = at;
    this.views.push({ ...this.view, at, reason, viewServerReason, announcedBy });
    while (this.views.length > viewsMax) this.views.shift();
    for (const member of membersOf(view)) this.node(member);
    this.addLog({
      at,
      node: announcedBy,
      kind: "view",
      text: `${describeViewForLog(this.view)} — ${reason}`,
    });
    this.version += 1;
  }

  /**
   * The same view number again, from another configuring node or later: only
   * a new status (VR: a replica back to "normal") changes what the page shows.
   */
  private updateStatus(view: View, at: number, announcedBy: Address): void {
    const current = this.view;
    if (current === null || view.status === undefined || view.status === current.status) return;
    this.view = { ...current, status: view.status };
    const record = this.views.at(-1);
    if (record !== undefined && record.viewNum === view.viewNum) record.status = view.status;
    this.addLog({
      at,
      node: announcedBy,
      kind: "view",
      text: `${describeViewForLog(this.view)} — status ${view.status}`,
    });
    this.version += 1;
  }

  private node(address: Address): NodeRecord {
    let record = this.nodes.get(address);
    if (record === undefined) {
      record = {
        address,
        selfRole: null,
        selfViewNum: null,
        lastSeenAt: null,
        lifecycle: null,
        crashed: false,
        stopped: false,
        counters: null,
        countersAtLifeStart: null,
        forwards: 0,
        transfers: 0,
        status: null,
        statusAt: null,
      };
      this.nodes.set(address, record);
    }
    return record;
  }

  private onLifecycle(node: NodeRecord, at: number, state: string, detail: string | undefined): void {
    const seenBefore = node.lifecycle !== null;
    node.lifecycle = detail === undefined ? state : `${state} (${detail})`;
    let incident: Incident["kind"] | null = null;
    // A crash or a new life drops the state: what the node said about its role and figures is void.
    if (state === "crashed" || state === "restarted" || state === "started") {
      node.selfRole = null;
      node.status = null;
    }
    switch (state) {
      case "crashed":
        node.crashed = true;
        incident = detail === undefined ? "crashed" : "failed";
        break;
      case "restarted":
        node.crashed = false;
        incident = "restarted";
        this.beginLife(node, node.counters); // the same process: its counters go on from here
        break;
      case "started":
        node.crashed = false;
        node.stopped = false;
        if (seenBefore) incident = "process restarted";
        this.beginLife(node, null); // a new process counts from zero
        node.counters = null;
        break;
      case "stopped":
        node.stopped = true;
        incident = "stopped";
        break;
    }
    if (incident !== null) {
      this.incidents.push({ at, node: node.address, kind: incident, detail });
      while (this.incidents.length > incidentsMax) this.incidents.shift();
    }
    const bad = state === "crashed" || state === "stopped" || state === "disconnected";
    this.addLog({ at, node: node.address, kind: "lifecycle", text: node.lifecycle, ...(bad ? { bad } : {}) });
  }

  /** A new life: the previous one's counts are not this one's. */
  private beginLife(node: NodeRecord, countersNow: NodeCounters | null): void {
    node.countersAtLifeStart = countersNow === null ? null : { ...countersNow };
    node.forwards = 0;
    node.transfers = 0;
  }

  private onFault(address: Address, at: number, command: ControlCommand, effect: string): void {
    applyToFaults(this.faults, command); // idempotent: every node acknowledges network commands
    const key = JSON.stringify(command);
    const loggedAt = this.faultsLogged.get(key);
    this.faultsLogged.set(key, at);
    if (this.faultsLogged.size > 100) this.faultsLogged.delete(this.faultsLogged.keys().next().value ?? "");
    if (loggedAt !== undefined && at - loggedAt < faultFoldMs) return;
    this.addLog({ at, node: address, kind: "fault", text: `${key}: ${effect}` });
  }

  private onCounters(node: NodeRecord, at: number, counters: NodeCounters): void {
    const previous = node.counters;
    node.counters = counters;
    if (previous === null) return; // no baseline: a delta would count everything since the node started
    const delta = (now: number, before: number): number => (now >= before ? now - before : now);
    const bucket = this.bucket(at);
    bucket.ops += delta(counters.served, previous.served);
    bucket.lost += delta(counters.lost, previous.lost);
  }

  private logRejected(node: Address, at: number, source: string, reason: string): void {
    const loggedAt = this.rejectsLoggedAt.get(node) ?? -Infinity;
    if (at - loggedAt < 1_000) return;
    this.rejectsLoggedAt.set(node, at);
    if (this.rejectsLoggedAt.size > 200)
      this.rejectsLoggedAt.delete(this.rejectsLoggedAt.keys().next().value ?? "");
    const firstLine = reason.split("\n")[0] ?? "";
    this.addLog({ at, node, kind: "rejected", text: `rejected ${source} input: ${firstLine}`, bad: true });
    this.version += 1;
  }

  private addLog(entry: LogEntry): void {
    this.log.push(entry);
    while (this.log.length > logEntriesMax) this.log.shift();
  }

  /** A node of the protocol (not a client: kv, load and probes come and go). */
  private isClusterNode(address: Address): boolean {
    const role = this.options.protocol.roleOf(address);
    return role !== null && role !== "client";
  }

  /** Whose `view` events state the configuration: the nodes that answer the configuration query. */
  private get configuringNodes(): readonly Address[] {
    const { protocol, config } = this.options;
    return configuringNodes(protocol, config ?? protocol.config.defaults);
  }

  /** How texts name the configuring nodes: their role's label (pb: "view server"), else their addresses. */
  private configuringLabel(): string {
    const { protocol } = this.options;
    const nodes = this.configuringNodes;
    const label = protocol.dashboard.roles[protocol.roleOf(nodes[0] ?? "") ?? ""]?.label;
    return label ?? nodes.join(", ");
  }

  private nodeSummaries(now: number): NodeSummary[] {
    const { protocol } = this.options;
    const kindOf = (address: Address): string => protocol.roleOf(address) ?? "unknown";
    // By role in the protocol's order (pb: the view server first), then by server number.
    const order = (address: Address): number => {
      const role = protocol.roles.findIndex((spec) => spec.name === kindOf(address));
      const number = /^server-(\d+)$/.exec(address)?.[1];
      return (role < 0 ? protocol.roles.length : role) * 1e6 + (number === undefined ? 0 : Number(number));
    };
    return [...this.nodes.values()]
      .sort((a, b) => order(a.address) - order(b.address))
      .map((node) => ({
        address: node.address,
        kind: kindOf(node.address),
        role: this.roleInView(node),
        selfRole: this.selfRoleOf(node),
        selfViewNum: node.selfViewNum,
        liveness: node.crashed
          ? "crashed"
          : node.stopped
            ? "stopped"
            : node.lastSeenAt === null
              ? "unknown"
              : now - node.lastSeenAt > silentAfterMs
                ? "silent"
                : "up",
        lastSeenAt: node.lastSeenAt,
        lifecycle: node.lifecycle,
        counters: countersOfThisLife(node),
        forwards: node.forwards,
        transfers: node.transfers,
        figures: freshFigures(node, now),
      }));
  }

  /** What the node announced, in the view's words when it is what its role in the view announces. */
  private selfRoleOf(node: NodeRecord): Role | null {
    const role = this.roleInView(node);
    const announced = this.options.protocol.dashboard.announcedRole ?? ((same: string) => same);
    return role !== null && node.selfRole === announced(role) ? role : node.selfRole;
  }

  private roleInView(node: NodeRecord): Role | null {
    const address = node.address;
    const role = this.options.protocol.roleOf(address) ?? "";
    if (this.options.protocol.dashboard.roles[role]?.inViews !== true) return null;
    if (this.view === null) return null;
    const inView = this.options.protocol.dashboard.roleIn(this.view, address);
    if (inView !== null) return inView;
    // An idle server is a live spare; a crashed or stopped one is no spare.
    return node.crashed || node.stopped ? null : "idle";
  }

  private faultSummary(): FaultSummary {
    const crashed = [...this.nodes.values()].filter((node) => node.crashed).map((node) => node.address);
    return {
      net: { ...this.faults.net, delayMs: [...this.faults.net.delayMs] },
      links: [...this.faults.links.entries()].map(([key, settings]) => {
        const [from = "", to = ""] = key.split(">");
        return { from, to, ...settings, delayMs: [...settings.delayMs] };
      }),
      groups: this.faults.groups === null ? null : this.faults.groups.map((group) => [...group]),
      crashed,
      text: describeFaults(this.faults) + (crashed.length > 0 ? `, crashed: ${crashed.join(", ")}` : ""),
    };
  }

  // ---------------------------------------------------------------- series

  private bucket(at: number): Bucket {
    const second = Math.floor(at / 1_000);
    let bucket = this.buckets.get(second);
    if (bucket === undefined) {
      bucket = { ops: 0, messages: 0, lost: 0, latenciesMs: [] };
      this.buckets.set(second, bucket);
      const newest = Math.max(...this.buckets.keys());
      for (const key of [...this.buckets.keys()])
        if (key <= newest - seriesSecondsMax) this.buckets.delete(key);
    }
    return bucket;
  }

  /** The last `seriesSecondsShown` complete seconds, empty ones included. */
  private seriesPoints(now: number): SeriesPoint[] {
    const current = Math.floor(now / 1_000);
    const points: SeriesPoint[] = [];
    for (let second = current - seriesSecondsShown; second < current; second++) {
      const bucket = this.buckets.get(second);
      const sorted = bucket === undefined ? [] : [...bucket.latenciesMs].sort((a, b) => a - b);
      points.push({
        at: second * 1_000,
        ops: bucket?.ops ?? 0,
        messages: bucket?.messages ?? 0,
        lost: bucket?.lost ?? 0,
        latencyP50Ms: quantile(sorted, 0.5),
        latencyP99Ms: quantile(sorted, 0.99),
      });
    }
    return points;
  }

  // ---------------------------------------------------------------- the message tap

  private onArrived(message: TappedMessage, receivedAt: number): void {
    const record = this.copies.get(message.id) ?? { copies: 0, sampledKey: null };
    record.copies += 1;
    this.remember(this.copies, message.id, record, trackedIdsMax);
    const first = record.copies === 1;
    this.bucket(receivedAt).messages += 1;
    const sender = this.nodes.get(message.from);
    if (sender !== undefined) {
      sender.lastSeenAt = Math.max(sender.lastSeenAt ?? 0, message.sentAt);
      if (first && message.traffic === "replication") sender.forwards += 1;
    }
    if (first) this.measureLatency(message, receivedAt);
    const duplicate = !first;
    const heartbeat = message.traffic === "heartbeat";
    if (!this.sampler.admit(receivedAt, heartbeat, duplicate || message.fate === "delayed")) return;
    const key = `${message.id}:${record.copies}`;
    record.sampledKey = key;
    this.emit(this.sampleOf(message, key, receivedAt, duplicate));
  }

  private onLost(message: TappedMessage, receivedAt: number): void {
    const record = this.copies.get(message.id);
    const earlier =
      record?.sampledKey === null || record === undefined ? undefined : this.samples.get(record.sampledKey);
    if (earlier !== undefined) {
      // It reached the queue of a crashed node (refused) or waited there too long (expired).
      this.emit({ ...earlier, fate: message.fate, at: receivedAt });
      return;
    }
    if (!this.sampler.admit(receivedAt, message.traffic === "heartbeat", true)) return;
    this.emit(this.sampleOf(message, `${message.id}:lost`, receivedAt, false));
  }

  private sampleOf(message: TappedMessage, key: string, at: number, duplicate: boolean): MessageSample {
    return {
      key,
      from: message.from,
      to: message.to,
      type: message.type,
      label: message.label,
      viewNum: message.viewNum,
      sentAt: message.sentAt,
      at,
      fate: message.fate,
      delayMs: message.delayMs,
      duplicate,
    };
  }

  private emit(sample: MessageSample): void {
    this.sampled += 1;
    this.samples.delete(sample.key); // re-inserted last: the map stays in arrival order
    this.samples.set(sample.key, sample);
    this.pending.push(sample);
    if (this.pending.length > recentSamplesMax) this.pending.shift();
    if (this.samples.size > recentSamplesMax) this.pruneSamples(sample.at);
  }

  private pruneSamples(now: number): void {
    for (const [key, sample] of this.samples) {
      if (this.samples.size <= recentSamplesMax && sample.at >= now - recentSamplesMs) break;
      this.samples.delete(key);
    }
  }

  /** Client latency: from the first copy of a request to the ok reply for that sequence number. */
  private measureLatency(message: TappedMessage, receivedAt: number): void {
    if (message.seq === null) return;
    if (message.traffic === "request") {
      const key = `${message.from}#${message.seq}`;
      if (!this.requests.has(key)) this.remember(this.requests, key, message.sentAt, trackedRequestsMax);
      return;
    }
    if (message.traffic !== "reply" || !message.replyOk) return;
    const key = `${message.to}#${message.seq}`;
    const sentAt = this.requests.get(key);
    if (sentAt === undefined) return;
    this.requests.delete(key);
    const latencies = this.bucket(receivedAt).latenciesMs;
    if (latencies.length < latenciesPerSecondMax) latencies.push(Math.max(0, receivedAt - sentAt));
  }

  private remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
    map.set(key, value);
    if (map.size > max) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  const value = sorted[index] ?? 0;
  return Math.round(value * 10) / 10;
}

/** The node's counters since its life began (a restart by command keeps the process and its counters). */
function countersOfThisLife(node: NodeRecord): NodeCounters | null {
  const now = node.counters;
  if (now === null) return null;
  const start = node.countersAtLifeStart;
  if (start === null) return { ...now };
  const since = { ...now };
  for (const name of Object.keys(since) as (keyof NodeCounters)[]) {
    since[name] = Math.max(0, now[name] - start[name]);
  }
  return since;
}

/** The protocol's own figures the node last reported, while fresh and in this life; null otherwise. */
function freshFigures(node: NodeRecord, now: number): ProtocolFigures | null {
  if (node.status === null || node.statusAt === null || node.crashed || node.stopped) return null;
  if (now - node.statusAt > statusStaleMs) return null;
  return node.status.figures === undefined ? null : { ...node.status.figures };
}

/**
 * The view with its members: a configuring node may announce a view without
 * them (VR's new primary names itself only); the members of a configuration
 * do not change with its number (only with its epoch), so the previous view's stand.
 */
function withMembersOf(view: View, previous: View | null): View {
  if (view.replicas !== undefined || previous?.replicas === undefined) return { ...view };
  // A reconfiguration (VR's next epoch) changes them: the previous view's say nothing of the next epoch's.
  if (view.epoch !== previous.epoch) return { ...view };
  return { ...view, replicas: [...previous.replicas] };
}

/**
 * A view in the dashboard's log: pb's "view 3: primary server-1, backup server-2"; a view
 * with replicas names its primary and them (it has no one backup), and its status; a chain
 * its servers head first ("view 5: chain server-2 > server-4 > server-3, server-1 joining").
 */
function describeViewForLog(view: View): string {
  if (view.chain !== undefined) {
    const joining = view.joining === undefined ? "" : `, ${view.joining} joining`;
    return `view ${view.viewNum}: chain ${view.chain.length === 0 ? "-" : view.chain.join(" > ")}${joining}`;
  }
  const status = view.status === undefined ? "" : `, ${view.status}`;
  if (view.replicas === undefined)
    return `view ${view.viewNum}: primary ${view.primary ?? "-"}, backup ${view.backup ?? "-"}${status}`;
  // Epoch 0 is every VR cluster's first configuration: named once a reconfiguration made another.
  const epoch = view.epoch === undefined || view.epoch === 0 ? "" : ` (epoch ${view.epoch})`;
  return `view ${view.viewNum}${epoch}: primary ${view.primary ?? "-"}, replicas ${view.replicas.join(" ")}${status}`;
}
