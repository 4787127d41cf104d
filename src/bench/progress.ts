// One progress line on stderr, drawn only on a terminal: what runs, how far
// along it is, and the load's figures so far. Off a terminal it stays silent,
// except for the milestones of long stretches (`note`), so logs show progress.

/** At most one redraw this often. */
const redrawMs = 200;
const barWidth = 24;

export class Progress {
  private readonly enabled: boolean;
  private drawnAtMs = 0;
  private visible = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled?: boolean,
  ) {
    this.enabled = enabled ?? stream.isTTY === true;
  }

  /** Redraws the line (throttled): `fraction` of the current step done, then free text. */
  show(label: string, fraction: number, detail = "", force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.drawnAtMs < redrawMs) return;
    this.drawnAtMs = now;
    const clamped = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(clamped * barWidth);
    const bar = `${"█".repeat(filled)}${"░".repeat(barWidth - filled)}`;
    const columns = this.stream.columns ?? 100;
    const text = `${bar} ${label}${detail === "" ? "" : `  ${detail}`}`.slice(0, Math.max(20, columns - 1));
    this.stream.write(`\r${text}\u001b[K`);
    this.visible = true;
  }

  /** A line that stays: on a terminal above the bar, elsewhere on its own. */
  note(line: string): void {
    if (this.enabled) this.clear();
    this.stream.write(`${line}\n`);
  }

  clear(): void {
    if (!this.enabled || !this.visible) return;
    this.stream.write("\r\u001b[K");
    this.visible = false;
  }
}
