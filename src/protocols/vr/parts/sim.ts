import type { Address } from "../../../schemas/address.js";
import type { CrashVerdict, SimCluster, SimFaultModel, SimSupport } from "../../simSupport.js";
import { faultsTolerated, type VrConfig } from "../config.js";
import { primaryOf, replicaAddress, type ReplicaState } from "../state.js";

// VR's fault model as the simulator's nemesis keeps it: any replica, the
// primary included, may crash, as long as at most f are failed at once; a
// restarted replica counts as failed until its recovery ends (it lost its
// state). Partitions are any; the link worth cutting is the primary's to a backup.

class VrFaultModel implements SimFaultModel {
  constructor(
    private readonly cluster: SimCluster,
    private readonly config: VrConfig,
  ) {}

  crash(victim: Address): CrashVerdict {
    let failed = 0;
    for (let i = 0; i < this.config.replicas; i++) {
      const address = replicaAddress(i);
      if (address === victim) continue;
      const state = this.cluster.stateOf(address) as ReplicaState | null;
      if (state === null || state.status === "recovering") failed += 1;
    }
    return failed + 1 <= faultsTolerated(this.config) ? "crash" : "refuse";
  }

  recovering(): boolean {
    return false;
  }

  cut(pick: () => Address): readonly [Address, Address] {
    let viewNum = 0;
    for (let i = 0; i < this.config.replicas; i++) {
      const state = this.cluster.stateOf(replicaAddress(i)) as ReplicaState | null;
      if (state !== null && state.status === "normal") viewNum = Math.max(viewNum, state.viewNum);
    }
    const primary = replicaAddress(primaryOf(viewNum, this.config.replicas));
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
    // No run of VR may stop serving while at most f replicas are failed (the fault model's bound).
    stuckByDesign: () => null,
  }),
  faults: (cluster, config) => new VrFaultModel(cluster, config),
  joins: false,
};
