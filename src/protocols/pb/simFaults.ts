import { type Address, viewServerAddress } from "../../schemas/address.js";
import type { CrashVerdict, SimCluster, SimFaultModel } from "../simSupport.js";
import type { ViewServerState } from "./viewServer.js";

// Primary/backup's fault model (DESIGN §4), as the simulator's nemesis keeps
// it: at most one of primary and backup is lost per view, and only once the
// view server's view is acknowledged (so the surviving one holds every
// acknowledged write). A partition during that recovery would be a second
// loss (the view server cannot tell a cut-off server from a dead one), so the
// nemesis holds partitions while `recovering()`. The view server is never
// lost: it is the single point of failure this design accepts.

export class PbFaultModel implements SimFaultModel {
  private lastRoleCrashView = 0;

  constructor(private readonly cluster: SimCluster) {}

  private viewServer(): ViewServerState | null {
    return this.cluster.stateOf(viewServerAddress) as ViewServerState | null;
  }

  crash(victim: Address, partitioned: boolean): CrashVerdict {
    const viewServer = this.viewServer();
    if (viewServer === null) return "refuse";
    const { view, primaryAcked } = viewServer;
    if (victim !== view.primary && victim !== view.backup) return "crash";
    const bothUp =
      view.backup !== null &&
      this.cluster.isUp(view.backup) &&
      view.primary !== null &&
      this.cluster.isUp(view.primary);
    if (!primaryAcked || !bothUp || partitioned || view.viewNum <= this.lastRoleCrashView) return "refuse";
    this.lastRoleCrashView = view.viewNum;
    return "recovery";
  }

  /** A primary or backup crashed and the view server has not yet settled a full, acknowledged view since. */
  recovering(): boolean {
    const viewServer = this.viewServer();
    if (viewServer === null || this.lastRoleCrashView === 0) return false;
    const { view, primaryAcked } = viewServer;
    return view.viewNum <= this.lastRoleCrashView || !primaryAcked || view.backup === null;
  }

  /** The primary's link to the view server: it keeps serving while the view server declares it dead. */
  cut(pick: () => Address): readonly [Address, Address] {
    return [this.viewServer()?.view.primary ?? pick(), viewServerAddress];
  }
}
