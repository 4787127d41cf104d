// The nemesis of a chaos run on the real broker: at random intervals (seeded
// choices, real time) it changes the network (loss 0-30%, duplication, delay
// 0-100 ms that reorders), makes the protocol's partition (`chaos.partition`,
// pb: the primary cut off from the view server only, the MIT Partition1/2
// case: clients still reach it), heals, crashes and restarts servers by
// control command, SIGKILLs server processes and starts them again, restarts
// running servers, and has the broker close nodes' connections. Servers are
// the nodes whose role is `crashable`; the others (pb: the view server) only
// lose their connection.
//
// It keeps to the fault model the protocol is built for, as the simulator's
// nemesis does (src/sim/chaos.ts), and asks the protocol for it
// (`chaos.faults`): before losing a node (crash, SIGKILL, restart, connection
// kill) it asks `lossVerdict`, which answers from the view, which nodes are
// live and the losses not yet recovered from (pb: an idle server at any time;
// the primary or backup, or the view server's connection, at most one per
// settled view, both live). To a counted loss it adds its own conditions:
// - none while a partition is on or an uncrashable node reconnects;
// - before it, it caps the loss, waits one failure-detection time (pb: two
//   ping checks) and looks again, so that a false death the loss was about
//   to cause does not coincide with it;
// - after it, until the protocol says the cluster `recovered` (pb: a later
//   view is settled), no partition, and loss is capped at 5%, so the
//   survivors' heartbeats are not all lost in one check interval; a
//   connection kill nobody noticed (the view unchanged one failure-detection
//   time after the node reconnected) lost nothing and stops counting.
// Uncrashable nodes are never crashed.
//
// With a reconfigurer (`--reconfigure`, src/chaos/reconfigurer.ts) it also
// changes the group now and then, one reconfiguration at a time in the
// background; its victims are then the members of the view it sees (a spare
// or a removed replica is not lost), and while a reconfiguration is not known
// to run, the group before it is the fault model's too (`groupBefore`).
import type { ChaosLoss, ChaosPartition, LossVerdict, SettledView } from "../protocols/chaosSupport.js";
import type { AnyProtocol } from "../protocols/protocol.js";
import { nameNodes } from "../protocols/viewHelpers.js";
import type { Address } from "../schemas/address.js";
import type { ControlCommand, NetSettings } from "../schemas/control.js";
import type { Random } from "../sim/random.js";
import { describeViewBrief, membersOf, sameView } from "../schemas/view.js";
import type { ChaosCluster } from "./cluster.js";
import { epochMs, sleep, sleepUnlessStopped, type ViewObservation } from "./observer.js";
import type { Reconfigurer } from "./reconfigurer.js";

export const faultKinds = [
  "net",
  "partition",
  "heal",
  "crash",
  "restart",
  "kill",
  "respawn",
  "bounce",
  "connectionKill",
] as const;
export type FaultKind = (typeof faultKinds)[number];
export type FaultCounts = Record<FaultKind, number>;

/**
 * Who lost what: roles at the time of each crash, kill, restart or connection
 * kill, under the protocol's `chaos.faults.viewRoles` (pb: primary, backup,
 * idle); an uncrashable node's connection kills under its role's name (pb:
 * `viewserver`), between those and `clients`.
 */
export type RoleLosses = Record<string, number> & { clients: number };

/** A counted loss (ChaosLoss), and whether it was a connection kill (which may turn out to have lost nothing). */
interface CountedLoss extends ChaosLoss {
  byConnection: boolean;
}

/** Loss while recovering from a counted loss (as in the simulator). */
export const recoveryDropMax = 0.05;
export const dropMax = 0.3;
export const duplicateMax = 0.2;
export const delayMsMax = 100;
/** The load generator's connection, a connection-kill target. */
export const loadConnectionLabel = "chaos-load";
/** Every this often the current network setting is published again, for hosts that started since. */
const netRefreshMs = 2_000;
/** A connection kill's victim counts as reconnecting until it says `connected`, at most this long. */
const reconnectWaitMaxMs = 10_000;
const ackTimeoutMs = 2_000;
/** A partition lasts this long at most (healed by the next action after it), unless healed earlier. */
const partitionMsMin = 1_000;
const partitionMsMax = 5_000;
/**
 * With a reconfigurer: the chance that an action is a reconfiguration (about
 * one every 5 s at the default pauses); higher until one is done, so that a
 * short run reconfigures too.
 */
const reconfigureChance = 0.12;
const firstReconfigureChance = 0.25;

type Condition = "up" | "crashed" | "killed" | "starting";

export interface NemesisOptions {
  cluster: ChaosCluster;
  random: Random;
  /** At most this long after a server is lost, the protocol has noticed (`config.failureDetectionMs`). */
  failureDetectionMs: number;
  /** Broker connection kills (rabbitmqctl) are possible. */
  connectionKills: boolean;
  /** Pause between two actions, ms. */
  pauseMs: [number, number];
  /** One line per action, for the run's timeline. */
  note: (line: string) => void;
  /** Reconfigurations among the faults, or null for none. */
  reconfigurer?: Reconfigurer | null;
}

const cleanNet = (): NetSettings => ({ drop: 0, duplicate: 0, delayMs: [0, 0] });

export class Nemesis {
  readonly faults: FaultCounts = Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as FaultCounts;
  readonly roleLosses: RoleLosses;
  /** Role losses the fault model did not allow at that moment (the action was skipped). */
  refused = 0;
  private readonly condition = new Map<Address, Condition>();
  /** Nodes whose connection the broker closed: the event mark at the kill, and until when we wait. */
  private readonly reconnecting = new Map<Address, { mark: number; untilMs: number }>();
  private net: NetSettings = cleanNet();
  private netPublishedAtMs = 0;
  private partitioned: ChaosPartition | null = null;
  private partitionEndsAtMs = Infinity;
  /** Counted losses not yet known to be recovered from or forgiven, oldest first. */
  private losses: CountedLoss[] = [];
  /** When a connection-kill victim said `connected` again. */
  private readonly reconnectedAtMs = new Map<Address, number>();
  private readonly background = new Set<Promise<void>>();
  private readonly cluster: ChaosCluster;
  private readonly random: Random;
  private readonly protocol: AnyProtocol;

  constructor(private readonly options: NemesisOptions) {
    this.cluster = options.cluster;
    this.random = options.random;
    this.protocol = options.cluster.options.protocol;
    for (const server of this.cluster.servers) this.condition.set(server, "up");
    const losses: Record<string, number> = {};
    for (const role of this.protocol.chaos.faults.viewRoles) losses[role] = 0;
    for (const node of this.cluster.uncrashable) losses[this.roleName(node)] = 0;
    this.roleLosses = { ...losses, clients: 0 };
  }

  /** Acts until `durationMs` from now. */
  /** Acts for `durationMs`, or until `stop` is aborted (an interrupted command). */
  async run(durationMs: number, stop?: AbortSignal): Promise<void> {
    const endMs = performance.now() + durationMs;
    const [pauseMin, pauseMax] = this.options.pauseMs;
    for (;;) {
      const pauseMs = this.random.between(pauseMin, pauseMax);
      if (performance.now() + pauseMs >= endMs) break;
      await sleepUnlessStopped(pauseMs, stop);
      if (stop?.aborted === true) return;
      if (performance.now() - this.netPublishedAtMs > netRefreshMs) this.publishNet();
      await this.act();
    }
    await sleepUnlessStopped(Math.max(0, endMs - performance.now()), stop);
  }

  /**
   * Ends every fault: the network clean, no partition, killed processes
   * started again, crashed nodes restarted (`reset`, until every node applied
   * it). Resolves with the nodes that never acknowledged the reset.
   */
  async healAll(): Promise<Address[]> {
    this.partitioned = null;
    this.net = cleanNet();
    await Promise.all([...this.background]);
    // By what we did, not only by what the supervisor saw: the exit of a kill just
    // before healing may not have arrived yet (the process still counts as running).
    const killed = this.cluster.servers.filter((server) => this.cluster.isKilled(server));
    await Promise.all(killed.map((server) => this.cluster.respawn(server)));
    const running = this.cluster.addresses.filter((node) => this.cluster.isProcessRunning(node));
    const missing = await this.cluster.applyEverywhere({ type: "reset" }, running, 10_000);
    for (const server of this.cluster.servers) this.condition.set(server, "up");
    this.reconnecting.clear();
    this.options.note(
      `heal all: reset applied${missing.length > 0 ? `; not acknowledged by ${missing.join(", ")}` : ""}`,
    );
    return missing;
  }

  // ---------------------------------------------------------------- choosing

  private async act(): Promise<void> {
    if (this.partitioned !== null && performance.now() >= this.partitionEndsAtMs) return this.healPartition();
    const reconfigurer = this.options.reconfigurer ?? null;
    if (reconfigurer !== null) {
      const chance = reconfigurer.report.done.length === 0 ? firstReconfigureChance : reconfigureChance;
      if (this.random.chance(chance)) return reconfigurer.start();
    }
    const roll = this.random.next();
    if (roll < 0.2) return this.setNet();
    if (roll < 0.3) return this.partition();
    if (roll < 0.36) return this.healPartition();
    if (roll < 0.52) return this.crash();
    if (roll < 0.64) return this.kill();
    if (roll < 0.84) return this.restart();
    if (roll < 0.92) return this.bounce();
    if (roll < 0.97 && this.options.connectionKills) return this.killConnection();
    return this.setNet();
  }

  // ---------------------------------------------------------------- network

  private async setNet(): Promise<void> {
    const calm = this.random.chance(0.3);
    const dropLimit = this.recovering() ? recoveryDropMax : dropMax;
    this.net = calm
      ? cleanNet()
      : {
          drop: round3(this.random.between(0, dropLimit)),
          duplicate: round3(this.random.between(0, duplicateMax)),
          delayMs: [0, Math.round(this.random.between(0, delayMsMax))],
        };
    this.faults.net += 1;
    this.options.note(
      `net: drop ${this.net.drop}, duplicate ${this.net.duplicate}, delay ${this.net.delayMs[0]}-${this.net.delayMs[1]} ms`,
    );
    await this.applyNet();
  }

  /** The protocol's partition (pb: the primary cannot reach the view server, nor it the primary; everyone else can). */
  private async partition(): Promise<void> {
    if (this.recovering() || this.partitioned !== null) {
      this.options.note(
        this.partitioned !== null ? "(no new partition: one is on)" : "(no partition while recovering)",
      );
      return;
    }
    const seen = await this.cluster.observer.freshView();
    const partition = seen === null ? null : this.protocol.chaos.partition(seen.view);
    if (seen === null || partition === null || !this.isLive(partition.isolated)) return;
    const { isolated, from } = partition;
    const command: ControlCommand = { type: "partition", groups: [[isolated], [...from]] };
    this.partitioned = partition;
    this.partitionEndsAtMs = performance.now() + this.random.between(partitionMsMin, partitionMsMax);
    this.faults.partition += 1;
    this.options.note(
      `partition: ${isolated} (${this.roleOf(isolated, seen)} of view ${seen.view.viewNum}) cut off from ${this.names(from)}`,
    );
    await this.cluster.applyEverywhere(command, [isolated, ...from], ackTimeoutMs);
  }

  private async healPartition(): Promise<void> {
    this.faults.heal += 1;
    const was = this.partitioned;
    this.partitioned = null;
    this.partitionEndsAtMs = Infinity;
    this.options.note(
      was === null ? "heal (no partition on)" : `heal: ${was.isolated} reaches ${this.names(was.from)} again`,
    );
    await this.cluster.applyEverywhere({ type: "heal" }, this.reachableNodes(), ackTimeoutMs);
  }

  private async applyNet(): Promise<void> {
    this.netPublishedAtMs = performance.now();
    await this.cluster.applyEverywhere({ type: "net", ...this.net }, this.reachableNodes(), ackTimeoutMs);
  }

  /** Published again now and then: clients and respawned processes start with a clean network. */
  private publishNet(): void {
    this.netPublishedAtMs = performance.now();
    this.cluster.control({ type: "net", ...this.net });
  }

  // ---------------------------------------------------------------- processes

  private async crash(): Promise<void> {
    const victim = this.pickUpServer();
    if (victim === null) return;
    await this.loseServer(victim, "crash", async () => {
      this.condition.set(victim, "crashed");
      this.faults.crash += 1;
      const missing = await this.cluster.applyEverywhere(
        { type: "crash", node: victim },
        [victim],
        ackTimeoutMs,
      );
      if (missing.length > 0) this.condition.set(victim, "up"); // it never got the command
    });
  }

  private async kill(): Promise<void> {
    const victim = this.pickUpServer();
    if (victim === null) return;
    await this.loseServer(victim, "SIGKILL", async () => {
      if (!this.cluster.kill(victim)) return;
      this.condition.set(victim, "killed");
      this.faults.kill += 1;
    });
  }

  /** A restart command to a running server: it crashes and starts again at once, with a new incarnation. */
  private async bounce(): Promise<void> {
    const victim = this.pickUpServer();
    if (victim === null) return;
    await this.loseServer(victim, "restart while running", async () => {
      this.faults.bounce += 1;
      await this.cluster.applyEverywhere({ type: "restart", node: victim }, [victim], ackTimeoutMs);
    });
  }

  /** Brings back one crashed or killed server. */
  private async restart(): Promise<void> {
    const down = this.cluster.servers.filter((server) => {
      const condition = this.conditionOf(server);
      return condition === "crashed" || condition === "killed";
    });
    if (down.length === 0) return;
    const server = this.random.pick(down);
    if (this.conditionOf(server) === "crashed") {
      this.faults.restart += 1;
      this.options.note(`restart ${server} (crashed)`);
      const missing = await this.cluster.applyEverywhere(
        { type: "restart", node: server },
        [server],
        ackTimeoutMs,
      );
      if (missing.length === 0) this.condition.set(server, "up");
      return;
    }
    this.faults.respawn += 1;
    this.options.note(`respawn ${server} (killed)`);
    this.condition.set(server, "starting");
    this.inBackground(async () => {
      const started = await this.cluster.respawn(server);
      this.condition.set(server, started ? "up" : "killed");
      this.publishNet(); // it starts with a clean network
    });
  }

  private async killConnection(): Promise<void> {
    const targets: Address[] = [...this.cluster.uncrashable, loadConnectionLabel];
    const server = this.pickUpServer();
    if (server !== null) targets.push(server);
    const target = this.random.pick(targets);
    let pids: string[];
    try {
      pids = await this.cluster.findConnections(target);
    } catch (error) {
      this.options.note(`connection kill of ${target} failed: ${(error as Error).message}`);
      return;
    }
    if (pids.length === 0) return;
    const close = async (): Promise<void> => {
      this.faults.connectionKill += 1;
      const mark = this.cluster.observer.eventMark;
      this.reconnectedAtMs.delete(target);
      await this.cluster.closeConnections(target, pids);
      if (target !== loadConnectionLabel) {
        this.reconnecting.set(target, { mark, untilMs: performance.now() + reconnectWaitMaxMs });
      }
    };
    if (target === loadConnectionLabel) {
      this.roleLosses.clients += 1;
      this.options.note("connection kill: the load generator's clients");
      await close();
      return;
    }
    await this.loseServer(target, "connection kill", close);
  }

  // ---------------------------------------------------------------- the fault model

  /**
   * Loses a node (a server, or an uncrashable node's connection) within the
   * fault model: at once when the protocol calls the loss free; when it
   * counts, only if it may now, and again after capping the loss and looking
   * once more.
   */
  private async loseServer(victim: Address, what: string, inflict: () => Promise<void>): Promise<void> {
    const first = await this.cluster.observer.freshView();
    if (first === null) return;
    const role = this.roleOf(victim, first);
    const verdict = this.lossVerdict(victim, first);
    if (verdict.kind === "free") {
      this.roleLosses[role] = (this.roleLosses[role] ?? 0) + 1;
      this.options.note(`${what} ${victim} (${role} in view ${first.view.viewNum})`);
      await inflict();
      return;
    }
    if (verdict.kind === "refused") {
      this.refused += 1;
      this.options.note(`(no ${what} of ${victim}, ${role} of view ${describe(first)}: ${verdict.why})`);
      return;
    }
    await this.capLoss(role);
    await sleep(this.options.failureDetectionMs);
    const second = await this.cluster.observer.freshView();
    const stillNot =
      second === null
        ? "no fresh view"
        : !sameView(first.view, second.view)
          ? `the view moved to ${describe(second)}`
          : refusal(this.lossVerdict(victim, second));
    if (second === null || stillNot !== null) {
      this.refused += 1;
      this.options.note(`(no ${what} of ${victim} after all: ${stillNot ?? ""})`);
      return;
    }
    this.losses.push({
      viewNum: second.view.viewNum,
      node: victim,
      atEpochMs: epochMs(),
      byConnection: what === "connection kill",
    });
    this.roleLosses[role] = (this.roleLosses[role] ?? 0) + 1;
    this.options.note(`${what} ${victim} (${role} of view ${describe(second)})`);
    await inflict();
  }

  /** The protocol's verdict on losing `victim` in the view `seen`, with the nemesis's own refusals of a counted loss. */
  private lossVerdict(victim: Address, seen: ViewObservation): LossVerdict {
    const now = this.settledView(seen);
    const verdict = this.protocol.chaos.faults.lossVerdict(victim, {
      ...now,
      isLive: (node) => this.isLive(node),
      liveness: (node) => this.describeLiveness(node),
      unrecovered: this.unrecovered(now),
      groupBefore: this.options.reconfigurer?.groupBefore ?? null,
    });
    if (verdict.kind !== "counted") return verdict;
    if (this.partitioned !== null) return { kind: "refused", why: "a partition is on" };
    for (const node of this.cluster.uncrashable) {
      if (this.isReconnecting(node))
        return { kind: "refused", why: `${this.protocol.chaos.nodeName(node)} is reconnecting` };
    }
    return verdict;
  }

  private describeLiveness(server: Address): string {
    const since = this.cluster.observer.sincePingMs(server);
    return `${this.conditionOf(server)}, process ${this.cluster.isProcessRunning(server) ? "running" : "down"}${this.isReconnecting(server) ? ", reconnecting" : ""}, last ping ${Number.isFinite(since) ? `${Math.round(since)} ms` : "never"} ago`;
  }

  /** Counted losses the cluster has not recovered from (as of `seen`) and that were not forgiven; the others are dropped for good. */
  private unrecovered(seen: SettledView): CountedLoss[] {
    this.losses = this.losses.filter(
      (loss) => !this.forgiven(loss) && !this.protocol.chaos.faults.recovered(loss, seen),
    );
    return [...this.losses];
  }

  /** A counted loss is not recovered from yet: no partition, and loss capped. */
  private recovering(): boolean {
    if (this.losses.length === 0) return false;
    const seen = this.cluster.observer.view;
    if (seen === null) return true;
    return this.unrecovered(this.settledView(seen)).length > 0;
  }

  /** The view seen, as the protocol's fault model reads it. */
  private settledView(seen: ViewObservation): SettledView {
    const { observer } = this.cluster;
    return {
      view: seen.view,
      settled: observer.settled(seen),
      latestAnswer: (node) => observer.latestAnswer(node),
    };
  }

  /**
   * A connection kill nobody noticed (the node reconnected, and one
   * failure-detection time later the view is the same) lost nothing, so it
   * stops counting.
   */
  private forgiven(loss: CountedLoss): boolean {
    if (!loss.byConnection || this.isReconnecting(loss.node)) return false;
    const reconnectedAtMs = this.reconnectedAtMs.get(loss.node);
    return (
      reconnectedAtMs !== undefined && performance.now() - reconnectedAtMs >= this.options.failureDetectionMs
    );
  }

  private async capLoss(role: string): Promise<void> {
    if (this.net.drop <= recoveryDropMax) return;
    this.net = { ...this.net, drop: recoveryDropMax };
    this.options.note(`net: loss capped at ${recoveryDropMax} before losing a ${role}`);
    await this.applyNet();
  }

  // ---------------------------------------------------------------- helpers

  /** Running, not crashed by us, not reconnecting, and its heartbeats seen. */
  isLive(server: Address): boolean {
    return (
      this.conditionOf(server) === "up" &&
      this.cluster.isProcessRunning(server) &&
      !this.isReconnecting(server) &&
      this.cluster.observer.sincePingMs(server) < this.cluster.liveWithinMs
    );
  }

  private isReconnecting(node: Address): boolean {
    const entry = this.reconnecting.get(node);
    if (entry === undefined) return false;
    const { events } = this.cluster.observer;
    for (let index = entry.mark; index < events.length; index++) {
      const event = events[index];
      if (event?.type === "lifecycle" && event.node === node && event.state === "connected") {
        this.reconnecting.delete(node);
        this.reconnectedAtMs.set(node, this.cluster.observer.eventArrivalMs[index] ?? performance.now());
        return false;
      }
    }
    if (performance.now() > entry.untilMs) {
      this.reconnecting.delete(node);
      this.reconnectedAtMs.set(node, performance.now());
      return false;
    }
    return true;
  }

  /** A running server not crashed by us; with a reconfigurer, a member of the view seen. */
  private pickUpServer(): Address | null {
    const seen = this.cluster.observer.view;
    const members = this.options.reconfigurer == null || seen === null ? null : membersOf(seen.view);
    const up = this.cluster.servers.filter(
      (server) =>
        this.conditionOf(server) === "up" &&
        this.cluster.isProcessRunning(server) &&
        (members === null || members.includes(server)),
    );
    return up.length === 0 ? null : this.random.pick(up);
  }

  /** A server started after the nemesis (a reconfiguration's new replica) is up until it acts on it. */
  private conditionOf(server: Address): Condition {
    return this.condition.get(server) ?? "up";
  }

  /** Nodes that can acknowledge a command now (their process runs and is connected). */
  private reachableNodes(): Address[] {
    return this.cluster.addresses.filter(
      (node) =>
        this.cluster.isProcessRunning(node) &&
        this.conditionOf(node) !== "starting" &&
        !this.isReconnecting(node),
    );
  }

  /** The role a node's loss is counted under: an uncrashable node's role (pb: "viewserver"), else its role in the view (`chaos.faults.roleIn`). */
  private roleOf(node: Address, seen: ViewObservation): string {
    if (this.cluster.uncrashable.includes(node)) return this.roleName(node);
    return this.protocol.chaos.faults.roleIn(seen.view, node);
  }

  /** An uncrashable node's role, as its losses are counted (pb: "viewserver"). */
  private roleName(node: Address): string {
    return this.protocol.roleOf(node) ?? node;
  }

  /** Nodes as the timeline names them: "the view server", "server-2 and server-3". */
  private names(nodes: readonly Address[]): string {
    return nameNodes(this.protocol, nodes);
  }

  private inBackground(work: () => Promise<void>): void {
    const promise: Promise<void> = work()
      .catch((error: Error) => this.options.note(`background work failed: ${error.message}`))
      .finally(() => this.background.delete(promise));
    this.background.add(promise);
  }
}

function describe(seen: ViewObservation): string {
  return describeViewBrief(seen.view);
}

function refusal(verdict: LossVerdict): string | null {
  return verdict.kind === "refused" ? verdict.why : null;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
