import type { Address } from "../../../schemas/address.js";
import type { CrashVerdict, SimCluster, SimFaultModel, SimSupport } from "../../simSupport.js";
import { slotsOf, type VrConfig } from "../config.js";
import { faultsOf, firstMembers, primaryOf, quorumOf, replicaAddress } from "../members.js";
import type { ReplicaState } from "../state.js";

// VR's fault model as the simulator's nemesis keeps it: any replica, the
// primary included, may crash, as long as at most f of its epoch's group are
// failed at once; a restarted replica counts as failed until its recovery
// ends (it lost its state), a new member until it holds the epoch's state.
// While a new epoch is not yet run by a quorum of its members, the group of
// the epoch before is kept to its f too (it holds the state they fetch).
// Spares are never crashed. Partitions are any; the link worth cutting is
// the primary's to a backup.

class VrFaultModel implements SimFaultModel {
  /** The replica slots the simulated cluster has. */
  private readonly slots: Address[];

  constructor(
    private readonly cluster: SimCluster,
    config: VrConfig,
  ) {
    this.slots = firstMembers(slotsOf(config)).map(replicaAddress);
  }

  private states(): { index: number; state: ReplicaState | null }[] {
    return this.slots.map((address, index) => ({
      index,
      state: this.cluster.stateOf(address) as ReplicaState | null,
    }));
  }

  /** The latest epoch an up replica knows: its number, members and the group before it. */
  private latest(): { epoch: number; members: number[]; before: number[] } | null {
    let best: ReplicaState | null = null;
    for (const { state } of this.states())
      if (state !== null && (best === null || state.epoch > best.epoch)) best = state;
    if (best === null) return null;
    return { epoch: best.epoch, members: best.members, before: best.epochStart.oldMembers };
  }

  /** Members of the group that hold no state of `epoch`: down, recovering, or not yet in it. */
  private failed(members: readonly number[], epoch: number, strict: boolean): number[] {
    const states = this.states();
    return members.filter((member) => {
      const state = states[member]?.state ?? null;
      if (state === null || state.status === "recovering") return true;
      if (!strict) return false;
      return state.epoch < epoch || !["normal", "view-change", "removed"].includes(state.status);
    });
  }

  crash(victim: Address): CrashVerdict {
    const latest = this.latest();
    if (latest === null) return "crash";
    const victimIndex = this.slots.indexOf(victim);
    const groups: { members: readonly number[]; strict: boolean }[] = [
      { members: latest.members, strict: true },
    ];
    const running = latest.members.length - this.failed(latest.members, latest.epoch, true).length;
    if (running < quorumOf(latest.members) && latest.before.length > 0)
      groups.push({ members: latest.before, strict: false });
    // A replica outside every group (a spare, a retired one) is not crashed: a reconfiguration may
    // name it next, and a member that never held the state cannot recover alone.
    if (!groups.some((group) => group.members.includes(victimIndex))) return "refuse";
    for (const group of groups) {
      if (!group.members.includes(victimIndex)) continue;
      const others = this.failed(group.members, latest.epoch, group.strict).filter((m) => m !== victimIndex);
      if (others.length + 1 > faultsOf(group.members)) return "refuse";
    }
    return "crash";
  }

  recovering(): boolean {
    return false;
  }

  cut(pick: () => Address): readonly [Address, Address] {
    const latest = this.latest();
    let viewNum = 0;
    for (const { state } of this.states())
      if (state !== null && state.status === "normal" && state.epoch === latest?.epoch)
        viewNum = Math.max(viewNum, state.viewNum);
    const primary = replicaAddress(primaryOf(viewNum, latest?.members ?? [0]));
    let other = pick();
    for (let tries = 0; other === primary && tries < 8; tries++) other = pick();
    return [primary, other];
  }
}

export const vrSim: SimSupport<VrConfig> = {
  observer: () => ({
    afterEvent() {},
    onEmit() {},
    onCrash() {},
    // No run of VR may stop serving while at most f of a group are failed (the fault model's bound).
    stuckByDesign: () => null,
  }),
  faults: (cluster, config) => new VrFaultModel(cluster, config),
  joins: false,
};
