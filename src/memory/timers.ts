// Every real timer the in-memory transport starts goes through one of these,
// so that stopping the cluster can cancel all of them and a test can check
// that none is left: the process must exit by itself once it is stopped.

type Handle = { kind: "timeout"; handle: NodeJS.Timeout } | { kind: "immediate"; handle: NodeJS.Immediate };

export class TimerSet {
  private readonly handles = new Set<Handle>();
  private closed = false;

  /** Runs `run` after `afterMs` (on the next macrotask when 0), unless cancelled or cleared first. */
  after(afterMs: number, run: () => void): () => void {
    if (this.closed) return () => {};
    const entry: Handle =
      afterMs <= 0
        ? { kind: "immediate", handle: setImmediate(() => this.fire(entry, run)) }
        : { kind: "timeout", handle: setTimeout(() => this.fire(entry, run), afterMs) };
    this.handles.add(entry);
    return () => this.cancel(entry);
  }

  /** Cancels everything pending; `close` also refuses new timers (the owner stopped). */
  clear(options: { close: boolean } = { close: false }): void {
    for (const entry of [...this.handles]) this.cancel(entry);
    if (options.close) this.closed = true;
  }

  get pending(): number {
    return this.handles.size;
  }

  private cancel(entry: Handle): void {
    if (!this.handles.delete(entry)) return;
    if (entry.kind === "timeout") clearTimeout(entry.handle);
    else clearImmediate(entry.handle);
  }

  private fire(entry: Handle, run: () => void): void {
    this.handles.delete(entry);
    run();
  }
}
