// A token bucket: at most `perSecond` on average, `burst` at once. Hosts
// report refused input (a log line, a copy in `<c>.rejected`, an event) within
// such a budget: a flood of junk would otherwise make every node publish two
// messages per junk message it refuses, and its own traffic (pings, views)
// would queue behind them. Beyond the budget a refusal is only counted.
export class RateBudget {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Takes one token when there is one. */
  take(nowMs: number): boolean {
    const elapsedMs = Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
