// The chaos nemesis's reconfigurations (`npm run chaos -- --reconfigure`, for
// a protocol whose group changes at run time: VR's epochs). One at a time, in
// the background while the other faults go on: from a settled view it picks
// a move (add a replica in a free slot, remove a member, replace one; groups
// of 3 to 5 within the 9 slots), has the cluster's supervisor start the new
// replica and waits until it is a spare, then runs the operator actor until
// the new epoch answers CheckEpoch. These are `npm run reconfigure`'s own
// steps (src/cli/reconfigureTarget.ts, reconfigureSteps.ts,
// src/broker/operatorRun.ts). Every member that stays must be live when it
// asks, so a member that is down can only be removed or replaced (a
// reconfiguration naming a replica that is down, with another member of the
// new group down, may stall: docs/VR.md). Until the epoch runs, the group
// before it is the fault model's too (`groupBefore`). A reconfiguration
// whose accepting primary lost it with its view is given up after a while
// (`lostReconfigurationMs`) and counted as not done.
import type { Logger } from "pino";
import { BrokerClients } from "../broker/clients.js";
import { startOperator } from "../broker/operatorRun.js";
import { groupSizeMin, reconfigureTarget } from "../cli/reconfigureTarget.js";
import { startReplicas, type Step } from "../cli/reconfigureSteps.js";
import type { ReconfigurationSupport, ReconfigureOutcome } from "../protocols/brokerSupport.js";
import type { Address } from "../schemas/address.js";
import { describeViewBrief } from "../schemas/view.js";
import type { Random } from "../sim/random.js";
import type { ChaosCluster } from "./cluster.js";

/** Groups grow to this many members at most (every replica is a process on 2 busy cores). */
export const groupSizeMax = 5;
/** A new replica is a spare within this long, or the reconfiguration is given up before asking. */
const spareWithinMs = 30_000;
/**
 * An operator whose group, this long after it asked, is settled in a later
 * view of the old epoch is given up: the primary that accepted lost the
 * entry with its view, and the operator would wait for ever (the protocol's
 * operator does not ask again: test/sim/vrOperatorLostReconfiguration.test.ts).
 */
export const lostReconfigurationMs = 10_000;
/** How often the operator's group is looked at for that. */
const lostCheckMs = 500;

export type ReconfigurationMove = "add" | "remove" | "replace";

export interface ReconfigurationRecord {
  move: ReconfigurationMove;
  epoch: number;
  members: Address[];
  added: Address[];
  removed: Address[];
  /** From the decision to the new epoch's CheckEpoch answer. */
  seconds: number;
}

export interface ReconfigurationReport {
  /** Reconfigurations the group was asked for. */
  asked: number;
  done: ReconfigurationRecord[];
  /** Not asked: one under way, the view not settled, members down. */
  skipped: number;
  /** Asked and not taken (refused, another came first), or given up before asking; one line each. */
  failed: string[];
  /** The epoch of the first view seen, and of the last reconfiguration done (or the first, if none). */
  epochs: { first: number; last: number };
  /** Removed replicas whose process retired (exit 75), in order (a slot named again may retire again). */
  retired: Address[];
}

export interface ReconfigurerOptions {
  cluster: ChaosCluster;
  url: string;
  random: Random;
  /** The nemesis's word on a node: up, running, heard from lately. */
  isLive: (node: Address) => boolean;
  note: (line: string) => void;
  log: Logger;
}

/** A move and what it asks of `reconfigureTarget` (`add` new replicas, `remove` members), or why none now. */
export type ReconfigurationPlan = { move: ReconfigurationMove; add: number; remove: Address[] } | string;

/**
 * The next move on `members`: members that stay must be live, so with one
 * down it removes or replaces that one, with two down none; it adds only up to
 * `groupSizeMax` and removes only above `groupSizeMin`.
 */
export function planReconfiguration(
  members: readonly Address[],
  isLive: (node: Address) => boolean,
  random: Pick<Random, "pick">,
): ReconfigurationPlan {
  const down = members.filter((member) => !isLive(member));
  if (down.length > 1) return `${down.join(" and ")} are down`;
  const moves: ReconfigurationMove[] = ["replace"];
  if (down.length === 0 && members.length < groupSizeMax) moves.push("add");
  if (members.length > groupSizeMin) moves.push("remove");
  const move = random.pick(moves);
  const out = down[0] ?? random.pick(members);
  return { move, add: move === "remove" ? 0 : 1, remove: move === "add" ? [] : [out] };
}

export class Reconfigurer {
  /** While a reconfiguration is not known to run: the group it replaces. */
  groupBefore: Address[] | null = null;
  private readonly progress: Omit<ReconfigurationReport, "retired"> = {
    asked: 0,
    done: [],
    skipped: 0,
    failed: [],
    epochs: { first: -1, last: -1 },
  };
  private current: Promise<void> | null = null;
  /** Set when the run ends (or gives up waiting): the operator stops, nothing more is started. */
  private abandoned = false;
  private abandon: () => void = () => {};
  private readonly abandonedSignal: Promise<void>;
  private readonly support: ReconfigurationSupport;

  private constructor(
    private readonly options: ReconfigurerOptions,
    private readonly clients: BrokerClients,
  ) {
    const support = options.cluster.options.protocol.broker.reconfiguration;
    if (support === undefined) throw new Error("this protocol's group does not change at run time");
    this.support = support;
    this.abandonedSignal = new Promise<void>((resolve) => {
      this.abandon = () => {
        this.abandoned = true;
        resolve();
      };
    });
    const epoch = options.cluster.observer.view?.view.epoch ?? 0;
    this.progress.epochs = { first: epoch, last: epoch };
  }

  /** With a connection of its own (`pbkv <c> chaos-operator`), out of the nemesis's connection kills. */
  static async open(options: ReconfigurerOptions): Promise<Reconfigurer> {
    const { cluster } = options;
    const clients = await BrokerClients.open({
      url: options.url,
      names: cluster.names,
      protocol: cluster.options.protocol,
      config: cluster.options.config,
      log: options.log,
      checkInvariants: true,
      label: "chaos-operator",
    });
    return new Reconfigurer(options, clients);
  }

  get report(): ReconfigurationReport {
    return { ...this.progress, retired: [...this.options.cluster.retirements] };
  }

  /** Starts one reconfiguration in the background, unless one is under way or the cluster cannot take one now. */
  start(): void {
    if (this.current !== null) {
      this.skip("one is under way");
      return;
    }
    const decidedAtMs = performance.now();
    this.current = this.reconfigure(decidedAtMs)
      .catch((error: Error) => this.fail(`failed: ${error.message}`))
      .finally(() => {
        this.groupBefore = null;
        this.current = null;
      });
  }

  /** Waits for the one under way, at most `timeoutMs`; false if it did not end (the operator is stopped). */
  async finish(timeoutMs: number): Promise<boolean> {
    const current = this.current;
    if (current === null) return true;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      current.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!ended) {
      this.abandon();
      await current;
    }
    return ended;
  }

  async close(): Promise<void> {
    this.abandon();
    await this.current;
    await this.clients.close();
  }

  // ---------------------------------------------------------------- one reconfiguration

  private async reconfigure(decidedAtMs: number): Promise<void> {
    const { cluster, note } = this.options;
    const seen = await cluster.observer.freshView();
    if (seen === null || !cluster.observer.settled(seen)) return this.skip("the view is not settled");
    const { view } = seen;
    const members = view.replicas ?? [];
    const epoch = view.epoch ?? 0;
    const plan = planReconfiguration(members, this.options.isLive, this.options.random);
    if (typeof plan === "string") return this.skip(plan);
    const target = reconfigureTarget({ members, running: cluster.servers, ...plan });
    if (!target.ok) return this.skip(target.reason);
    note(
      `reconfigure (${plan.move}): epoch ${epoch} ${members.join(" ")} -> ${target.members.join(" ")}${target.added.length > 0 ? `; starting ${target.added.join(", ")}` : ""}`,
    );
    await startReplicas(this.step(), target.added, cluster.names.cluster);
    if (this.abandoned) return this.fail(`given up before asking for epoch ${epoch + 1}`);
    cluster.expectRetirement(target.removed);
    this.groupBefore = [...members];
    this.progress.asked += 1;
    const outcome = await this.runOperator({ epoch, members, viewNum: view.viewNum }, target.members);
    if (outcome === null) return this.fail(`epoch ${epoch + 1} not known to run: given up`);
    if (outcome === "lost")
      return this.fail(
        `lost: the group stayed in epoch ${epoch} under a later view (${describeViewBrief(cluster.observer.view?.view ?? view)}); its operator given up`,
      );
    if (outcome.kind !== "running") return this.fail(`not taken (${outcome.kind}): ${outcome.reason}`);
    const seconds = Math.round((performance.now() - decidedAtMs) / 100) / 10;
    const { added, removed } = target;
    this.progress.done.push({
      move: plan.move,
      epoch: outcome.epoch,
      members: outcome.members,
      added,
      removed,
      seconds,
    });
    this.progress.epochs.last = outcome.epoch;
    note(`epoch ${outcome.epoch} runs: ${outcome.members.join(" ")} (${plan.move}, ${seconds} s)`);
  }

  /** The operator actor for one reconfiguration, until its outcome (null: abandoned; "lost": see lostReconfigurationMs). */
  private async runOperator(
    from: { epoch: number; members: readonly Address[]; viewNum: number },
    target: readonly Address[],
  ): Promise<ReconfigureOutcome | "lost" | null> {
    const { cluster, log } = this.options;
    const operator = await startOperator({
      names: cluster.names,
      connection: this.clients.connection,
      protocol: cluster.options.protocol,
      config: cluster.options.config,
      from,
      target,
      log,
    });
    const watch = this.watchForLoss(from);
    try {
      return await Promise.race([operator.outcome, this.abandonedSignal.then(() => null), watch.lost]);
    } finally {
      watch.stop();
      await operator.stop();
    }
  }

  /** Resolves with "lost" once the group is settled in a later view of the old epoch `lostReconfigurationMs` after asking. */
  private watchForLoss(from: { epoch: number; viewNum: number }): { lost: Promise<"lost">; stop(): void } {
    const { observer } = this.options.cluster;
    const askedAtMs = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const lost = new Promise<"lost">((resolve) => {
      timer = setInterval(() => {
        const seen = observer.view;
        if (performance.now() - askedAtMs < lostReconfigurationMs || seen === null) return;
        const { epoch, viewNum } = seen.view;
        if ((epoch ?? 0) === from.epoch && viewNum > from.viewNum && observer.settled(seen)) resolve("lost");
      }, lostCheckMs);
    });
    return { lost, stop: () => clearInterval(timer) };
  }

  /** `npm run reconfigure`'s steps, told to give up when the run does. */
  private step(): Step {
    return {
      clients: this.clients,
      support: this.support,
      names: this.options.cluster.names,
      log: this.options.log,
      say: (line) => this.options.note(`  ${line}`),
      deadlineMs: performance.now() + spareWithinMs,
      interrupted: this.abandonedSignal,
      stopRequested: () => this.abandoned,
    };
  }

  private skip(why: string): void {
    this.progress.skipped += 1;
    this.options.note(`(no reconfiguration: ${why})`);
  }

  private fail(why: string): void {
    this.progress.failed.push(why);
    this.options.note(`reconfiguration ${why}`);
  }
}
