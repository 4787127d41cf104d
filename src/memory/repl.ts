// The console's command handler: one line in, the lines to print out. It is
// what the terminal loop (console.ts) calls for each line, and what tests
// call directly. It never throws: bad input and failed operations come back
// as `error: …` lines, and the cluster's own events (views, roles, faults)
// are printed by the event printer, not here.
import type { ControlCommand } from "../schemas/control.js";
import { describeRefusal, type Op } from "../schemas/op.js";
import { viewFields } from "../schemas/view.js";
import { type MemoryCluster, UnknownNodeError } from "./cluster.js";
import { commandHelp, parseLine } from "./commands.js";

/** An operation or `view` without an answer this long is reported as such (as `npm run kv`'s default). */
export const defaultOpTimeoutMs = 5_000;

export interface ReplReply {
  lines: string[];
  /** The user asked to stop. */
  quit: boolean;
}

export class Repl {
  constructor(
    private readonly cluster: MemoryCluster,
    private readonly opTimeoutMs: number = defaultOpTimeoutMs,
  ) {}

  async handle(line: string): Promise<ReplReply> {
    const parsed = parseLine(line);
    if (!parsed.ok) return reply(`error: ${parsed.error}`);
    const command = parsed.command;
    if (command.kind === "quit") return { lines: [], quit: true };
    if (this.cluster.isStopped) return reply("error: the cluster is stopped");
    switch (command.kind) {
      case "empty":
        return reply();
      case "help":
        return reply(...commandHelp);
      case "op":
        return this.runOp(command.op);
      case "view":
        return this.showView();
      case "control":
        return this.control(command.command);
    }
  }

  private async runOp(op: Op): Promise<ReplReply> {
    const outcome = await this.cluster.invoke(op, this.opTimeoutMs);
    switch (outcome.kind) {
      case "ok":
        // Quoted, so that an empty or blank value is visible.
        return reply(op.f === "get" ? JSON.stringify(outcome.value) : "ok");
      case "failed":
        return reply(`error: ${op.f} ${JSON.stringify(op.key)}: ${describeRefusal(outcome.error)}`);
      case "expired":
        return reply(
          `error: ${op.f} ${JSON.stringify(op.key)}: outcome unknown: the servers had forgotten the client's session (SessionExpired)${op.f === "get" ? "" : "; it may have taken effect once"}`,
        );
      case "timeout":
        return reply(
          `error: ${op.f} ${JSON.stringify(op.key)}: no answer within ${this.opTimeoutMs} ms (is there a primary? try: view)${op.f === "get" ? "" : "; it may still happen"}`,
        );
      case "stopped":
        return reply("error: the cluster stopped before the answer");
    }
  }

  private async showView(): Promise<ReplReply> {
    const outcome = await this.cluster.getView(this.opTimeoutMs);
    switch (outcome.kind) {
      case "ok": {
        return reply(JSON.stringify(viewFields(outcome.view)));
      }
      case "timeout":
        return reply(
          `error: no answer from ${this.cluster.protocol.broker.viewQuery.to(this.cluster.config).join(", ")} within ${this.opTimeoutMs} ms (crashed?)`,
        );
      case "stopped":
        return reply("error: the cluster stopped before the answer");
    }
  }

  /** The fault event line says what happened; only notes and errors come back here. */
  private control(command: ControlCommand): ReplReply {
    try {
      this.cluster.control(command);
    } catch (error) {
      if (error instanceof UnknownNodeError) return reply(`error: ${error.message}`);
      throw error;
    }
    const node = command.type === "crash" || command.type === "restart" ? command.node : null;
    const role = node === null ? undefined : this.cluster.roleOf(node);
    if (node !== null && role !== undefined && !role.crashable) {
      // A loss the protocol does not claim to survive (pb's view server): say so.
      return reply(
        `note: ${node} (${role.name}: ${role.summary}) is not replicated; ${this.cluster.protocol.name} does not survive losing it. Quit and start again to recover.`,
      );
    }
    return reply();
  }
}

function reply(...lines: string[]): ReplReply {
  return { lines, quit: false };
}
