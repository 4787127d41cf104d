import type { ActorEvent } from "../../../schemas/actorEvents.js";
import type { Address } from "../../../schemas/address.js";
import type { CrashVerdict, SimCluster, SimFaultModel, SimObserver, SimSupport } from "../../simSupport.js";
import type { ChainConfig } from "../config.js";
import type { MasterState } from "../master.js";
import type { ChainServerState } from "../state.js";
import { chainOf, masterAddress, tailOf } from "../view.js";

// Chain replication's fault model as the simulator's nemesis keeps it: any
// member may crash while another member holds the state and the master's
// view is taken up by its tail (one loss per view, as the master makes one
// change per view); spares and joining servers crash freely. The master is
// never lost: the single point of failure this design accepts (it is a pure
// state machine, to be replicated later). The hard cut is the tail's link to
// the master: it keeps serving reads while the master replaces it.

class ChainFaultModel implements SimFaultModel {
  private lastMemberCrashView = 0;

  constructor(private readonly cluster: SimCluster) {}

  private master(): MasterState | null {
    return this.cluster.stateOf(masterAddress) as MasterState | null;
  }

  crash(victim: Address, partitioned: boolean): CrashVerdict {
    const master = this.master();
    if (master === null) return "refuse";
    const chain = chainOf(master.view);
    if (!chain.includes(victim)) return "crash";
    const othersUp = chain.filter((member) => member !== victim && this.cluster.isUp(member)).length;
    if (!master.tailAcked || othersUp === 0 || partitioned || master.view.viewNum <= this.lastMemberCrashView)
      return "refuse";
    this.lastMemberCrashView = master.view.viewNum;
    return "recovery";
  }

  /** A member crashed and the master has not yet made a view without it that its tail took up. */
  recovering(): boolean {
    const master = this.master();
    if (master === null || this.lastMemberCrashView === 0) return false;
    return master.view.viewNum <= this.lastMemberCrashView || !master.tailAcked;
  }

  cut(pick: () => Address): readonly [Address, Address] {
    const master = this.master();
    return [(master === null ? null : tailOf(master.view)) ?? pick(), masterAddress];
  }
}

/**
 * The run may stop serving by design when every member of the master's last
 * chain lost its state (each crashed: no server holds the store any more),
 * or its tail crashed before it took the view up and has not come back (the
 * master waits: it never names a later tail while the last one may still answer).
 */
class ChainObserver implements SimObserver {
  private master: MasterState | null = null;
  private readonly crashed = new Map<Address, number[]>();

  afterEvent(address: Address, role: string, state: unknown): void {
    if (role === "master") this.master = state as MasterState;
  }

  onEmit(_address: Address, _role: string, _state: unknown, _event: ActorEvent): void {}

  onCrash(address: Address, role: string, state: unknown): void {
    if (role !== "server") return;
    const list = this.crashed.get(address) ?? [];
    list.push((state as ChainServerState).incarnation);
    this.crashed.set(address, list);
  }

  private crashedHolder(master: MasterState, member: Address): boolean {
    const incarnation = master.holders.get(member);
    return incarnation !== undefined && (this.crashed.get(member) ?? []).includes(incarnation);
  }

  stuckByDesign(): string | null {
    const master = this.master;
    if (master === null || master.view.viewNum === 0) return null;
    const chain = chainOf(master.view);
    if (chain.every((member) => this.crashedHolder(master, member)))
      return `every member of view ${master.view.viewNum}'s chain (${chain.join(", ")}) crashed: no server holds the state`;
    const tail = chain.at(-1)!;
    if (!master.tailAcked && this.crashedHolder(master, tail))
      return `tail ${tail} of view ${master.view.viewNum} crashed before it took the view up: the master waits for it`;
    return null;
  }
}

export const chainSim: SimSupport<ChainConfig> = {
  observer: () => new ChainObserver(),
  faults: (cluster) => new ChainFaultModel(cluster),
  joins: true,
};
