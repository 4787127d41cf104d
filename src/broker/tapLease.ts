// A watcher's hold on the cluster's traffic (DESIGN §5). Untapped, nodes
// publish straight into each destination's queue through the default
// exchange, which no queue of ours can bind; a watcher (the dashboard's
// --tap, the chaos observer) sends every node a `tap` command, which keeps
// its traffic on `<c>.net` and `<c>.peer`, where taps bind, for a lease, and
// renews the lease while it watches. A node started meanwhile is tapped at
// the next renewal; a watcher that dies without stopping costs the cluster
// its fast path for one lease at most.
import type { ControlCommand } from "../schemas/control.js";

/** How long one `tap` command holds. */
export const tapLeaseMs = 10_000;
/** How often a watcher renews it: a node started meanwhile waits at most this long. */
export const tapRenewMs = 2_000;

export class TapLease {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Publishes the command on `<c>.control` (the watcher's way: it may find no cluster running yet). */
    private readonly publish: (command: ControlCommand) => void,
  ) {}

  /** Taps every node now (when connected; else at the next renewal) and every `tapRenewMs` until `stop`. */
  start(): void {
    if (this.timer !== null) return;
    this.renew();
    this.timer = setInterval(() => this.renew(), tapRenewMs);
    this.timer.unref(); // the watcher's own life decides when its process ends
  }

  /** No more renewals: the nodes go back to the fast path when the lease runs out. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private renew(): void {
    this.publish({ type: "tap", forMs: tapLeaseMs });
  }
}
