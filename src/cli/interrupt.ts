// One Ctrl-C reaches a command several times. The terminal sends SIGINT to
// the whole foreground process group (npm, tsx and the command itself), npm
// relays its copy to its child (tsx), and tsx relays to the command any
// signal it did not see the command get within 30 ms. The copies arrive
// within a few tens of milliseconds (more on a busy machine). Taking the
// second copy for a second Ctrl-C made every command give up its clean stop;
// removing the listeners after the first made tsx's own handler exit the
// process (it exits when nobody else listens). So: listen for the whole life
// of the command, treat every signal within `duplicateSignalWindowMs` of the
// first as the same Ctrl-C, and only a later one as the user's second Ctrl-C,
// which exits at once and says what may be left behind.
import { exitCodes } from "./exitCodes.js";

/** Signals this soon after the first are copies of it (the terminal's, npm's, tsx's). */
export const duplicateSignalWindowMs = 1_000;
/**
 * A finished command stays this long after the last signal it got. tsx tells
 * from our report (over its IPC socket) that we got the signal it relayed;
 * a process that exits first loses the report, and tsx then SIGKILLs it and
 * exits 130 although the command stopped cleanly.
 */
export const exitAfterSignalMs = 300;
/**
 * How long without a signal before `quiet()` resolves. tsx relays a copy it
 * did not see us get after 30 ms and SIGKILLs us when we do not acknowledge it
 * within 30 ms more, which a process busy in synchronous work (writing and
 * checking a history) cannot do.
 */
export const quietAfterSignalMs = 150;

const forwardedSignals: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

export interface InterruptOptions {
  /** Where the lines go (stderr by default). */
  say?: (line: string) => void;
  /** What a forced exit may leave and how to clean it up; null: nothing. Asked at the second Ctrl-C. */
  leftBehind?: () => string | null;
  /** Synchronous last steps of a forced exit (SIGKILL to child processes). */
  onForcedExit?: () => void;
  /** Milliseconds of a monotonic clock (tests). */
  nowMs?: () => number;
  /** How a forced exit ends the process (tests). */
  exit?: (code: number) => void;
}

export class Interrupt {
  private readonly controller = new AbortController();
  private firstAtMs: number | null = null;
  private lastAtMs = -Infinity;
  private finished = false;
  private resolveReceived: (signal: NodeJS.Signals) => void = () => {};
  /** Resolves with the first SIGINT or SIGTERM. */
  readonly received: Promise<NodeJS.Signals> = new Promise((resolve) => (this.resolveReceived = resolve));
  private readonly listener = (signal: NodeJS.Signals): void => this.onSignal(signal);

  constructor(private readonly options: InterruptOptions = {}) {}

  /** Starts listening; from now on a signal never ends the process without this class deciding. */
  listen(): this {
    for (const signal of forwardedSignals) process.on(signal, this.listener);
    return this;
  }

  /** Aborted on the first SIGINT or SIGTERM. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.firstAtMs !== null;
  }

  /**
   * Resolves once no signal arrived for `quietAfterSignalMs`: call it before
   * long synchronous work after an interruption, so that the relayed copies
   * of the Ctrl-C are seen (and acknowledged to tsx) first.
   */
  async quiet(): Promise<void> {
    for (;;) {
      const nowMs = this.options.nowMs?.() ?? performance.now();
      const waitMs = this.lastAtMs + quietAfterSignalMs - nowMs;
      if (waitMs <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /**
   * The command is done: a late copy of the Ctrl-C is still ignored, a real
   * second one ends the process (whatever still holds it open).
   */
  finish(): void {
    this.finished = true;
    this.holdOpenAfterLastSignal();
  }

  /** Handles one signal; public for the tests, which cannot signal a test runner. */
  onSignal(signal: NodeJS.Signals): void {
    const nowMs = this.options.nowMs?.() ?? performance.now();
    this.lastAtMs = nowMs;
    if (this.firstAtMs === null) {
      this.firstAtMs = nowMs;
      this.controller.abort(signal);
      this.resolveReceived(signal);
      return;
    }
    if (nowMs - this.firstAtMs < duplicateSignalWindowMs) {
      if (this.finished) this.holdOpenAfterLastSignal(); // the same Ctrl-C, relayed
      return;
    }
    this.forceExit(signal);
  }

  private holdOpenAfterLastSignal(): void {
    const nowMs = this.options.nowMs?.() ?? performance.now();
    const waitMs = this.lastAtMs + exitAfterSignalMs - nowMs;
    if (waitMs > 0 && this.options.exit === undefined) setTimeout(() => {}, waitMs);
  }

  private forceExit(signal: NodeJS.Signals): void {
    const say = this.options.say ?? ((line: string) => void process.stderr.write(`${line}\n`));
    const exit = this.options.exit ?? ((code: number) => process.exit(code));
    if (this.finished) {
      exit(typeof process.exitCode === "number" ? process.exitCode : exitCodes.ok);
      return;
    }
    say(`${signal} again: exiting without finishing the clean stop`);
    try {
      this.options.onForcedExit?.();
    } finally {
      const left = this.options.leftBehind?.() ?? null;
      if (left !== null) say(left);
      exit(exitCodes.unknown);
    }
  }
}
