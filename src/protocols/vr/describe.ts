import type { LogEntry } from "../../kv/atMostOnce.js";
import { describeLogEntry } from "../../kv/logEntry.js";
import type { Envelope } from "../../schemas/envelope.js";
import { describeOp, shortValue } from "../../schemas/op.js";
import type { VrMessage } from "./messages.js";

// One deterministic text form for VR's messages: logs, traces, counterexamples.

function describeEntries(after: number, entries: readonly LogEntry[]): string {
  if (entries.length === 0) return `nothing after ${after}`;
  return `@${after + 1}..${after + entries.length} ${entries.map(describeLogEntry).join("; ")}`;
}

export function describeVrBody(body: VrMessage): string {
  switch (body.type) {
    case "RegisterClient":
      return `RegisterClient(#${body.seq})`;
    case "Request":
      return `Request(s${body.session} #${body.seq} ${describeOp(body.op)})`;
    case "Reply":
      return `Reply(#${body.seq} ${body.result.ok ? shortValue(body.result.value) : body.result.error})`;
    case "RegisterReply":
      return `RegisterReply(#${body.seq} ${body.result.ok ? `session ${body.result.session}` : body.result.error})`;
    case "GetView":
      return "GetView";
    case "ViewReport":
      return `ViewReport(v${body.viewNum} ${body.status}, op ${body.opNumber}, commit ${body.commitNumber})`;
    case "Prepare":
      return `Prepare(${describeEntries(body.firstOp - 1, body.entries)}, commit ${body.commitNumber})`;
    case "PrepareOK":
      return `PrepareOK(${body.opNumber})`;
    case "Commit":
      return `Commit(${body.commitNumber})`;
    case "StartViewChange":
      return "StartViewChange";
    case "DoViewChange":
      return `DoViewChange(last normal v${body.lastNormal}, op ${body.opNumber}, commit ${body.commitNumber}, ${describeEntries(body.after, body.entries)})`;
    case "StartView":
      return `StartView(op ${body.opNumber}, commit ${body.commitNumber}, ${describeEntries(body.after, body.entries)})`;
    case "GetStartView":
      return `GetStartView(commit ${body.commitNumber})`;
    case "GetState":
      return `GetState(after ${body.after}${body.snapshot === null ? "" : `, snapshot @${body.snapshot.at} chunk ${body.snapshot.chunk}`})`;
    case "NewState":
      return `NewState(${describeEntries(body.after, body.entries)}, up to ${body.upTo}${body.complete ? " complete" : ""}, commit ${body.commitNumber})`;
    case "NewSnapshot":
      return `NewSnapshot(@${body.applied} #${body.chunk}${body.last ? " last" : ""}, ${body.kv.length} keys, ${body.lastByClient.length} sessions)`;
    case "Recovery":
      return `Recovery(nonce ${body.nonce})`;
    case "RecoveryResponse":
      return `RecoveryResponse(nonce ${body.nonce}${body.recovering ? ", recovering too" : ""})`;
  }
}

export function describeVrMessage(
  message: Pick<Envelope<VrMessage>, "from" | "to" | "viewNum" | "body">,
): string {
  return `${message.from} -> ${message.to} [v${message.viewNum}] ${describeVrBody(message.body)}`;
}
