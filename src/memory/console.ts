// The terminal side of `--transport memory`: reads commands line by line
// (node:readline), runs them one after another through the Repl, and prints
// the replies and, in between, the cluster's event lines. On a terminal it
// shows a prompt and keeps it (with what was typed) below the event lines.
// It ends on `quit`, at the end of input (after the commands read so far
// have run) or on an interrupt (at once: the caller stops the cluster, which
// answers a waiting operation).
import { createInterface, type Interface } from "node:readline";
import type { Repl } from "./repl.js";

export type ConsoleEnd = "quit" | "end of input" | "interrupted";

export interface ConsoleOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A terminal: a prompt, and Ctrl-C arrives as a keypress rather than a signal. */
  terminal: boolean;
  prompt?: string;
  /** Commands wait for this first (the cluster settling into its first views). */
  ready?: Promise<void>;
}

export class ReplConsole {
  private readonly readline: Interface;
  private busy = false;
  private ended: ConsoleEnd | null = null;
  private onEnd: (end: ConsoleEnd) => void = () => {};

  constructor(
    private readonly repl: Repl,
    private readonly options: ConsoleOptions,
  ) {
    this.readline = createInterface({
      input: options.input,
      output: options.output,
      terminal: options.terminal,
      prompt: options.prompt ?? "pbkv> ",
    });
  }

  /** Prints a line that was not asked for (an event), keeping the prompt and the typed text intact. */
  say(line: string): void {
    if (!this.options.terminal) {
      this.options.output.write(`${line}\n`);
      return;
    }
    // Clear the prompt line, print, and draw the prompt again unless a command is running.
    this.options.output.write(`\r\x1b[K${line}\n`);
    if (!this.busy && this.ended === null) this.readline.prompt(true);
  }

  /** Reads and runs commands until quit, end of input or `interrupt()`. */
  run(): Promise<ConsoleEnd> {
    const done = new Promise<ConsoleEnd>((resolve) => (this.onEnd = resolve));
    let queue = this.options.ready ?? Promise.resolve();
    this.readline.on("line", (line) => {
      queue = queue.then(() => this.runLine(line));
    });
    this.readline.on("close", () => void queue.then(() => this.end("end of input")));
    this.readline.on("SIGINT", () => this.interrupt());
    if (this.options.terminal) this.readline.prompt();
    return done;
  }

  /** Ctrl-C or a signal: end now; the commands not yet run are dropped. */
  interrupt(): void {
    if (this.options.terminal) this.options.output.write("\n");
    this.end("interrupted");
  }

  private async runLine(line: string): Promise<void> {
    if (this.ended !== null) return;
    this.busy = true;
    let lines: string[];
    let quit = false;
    try {
      const reply = await this.repl.handle(line);
      lines = reply.lines;
      quit = reply.quit;
    } catch (error) {
      // A bug, not bad input: say so, and keep the console alive.
      lines = [`error: internal: ${error instanceof Error ? error.message : String(error)}`];
    }
    this.busy = false;
    if (this.ended !== null) return;
    for (const text of lines) this.options.output.write(`${text}\n`);
    if (quit) return this.end("quit");
    if (this.options.terminal) this.readline.prompt();
  }

  private end(end: ConsoleEnd): void {
    if (this.ended !== null) return;
    this.ended = end;
    this.readline.close();
    this.onEnd(end);
  }
}
