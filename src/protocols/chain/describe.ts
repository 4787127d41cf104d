import { describeLogEntry } from "../../kv/logEntry.js";
import type { Envelope } from "../../schemas/envelope.js";
import { describeOp, shortValue } from "../../schemas/op.js";
import { describeView } from "../../schemas/view.js";
import type { ChainMessage } from "./messages.js";

// One deterministic text form for chain messages, in logs, simulator traces
// and model-checker counterexamples.

export function describeChainBody(body: ChainMessage): string {
  switch (body.type) {
    case "Ping":
      return `Ping(${body.viewNum}, inc ${body.incarnation}${body.handedOver ? ", handed over" : ""})`;
    case "GetView":
      return "GetView";
    case "ViewReply":
      return `ViewReply(${describeView(body.view)})`;
    case "RegisterClient":
      return `RegisterClient(#${body.seq})`;
    case "RegisterReply":
      return `RegisterReply(#${body.seq} ${body.result.ok ? `session ${body.result.session}` : body.result.error})`;
    case "Request":
      return `Request(s${body.session} #${body.seq} ${describeOp(body.op)})`;
    case "Reply":
      return `Reply(#${body.seq} ${body.result.ok ? shortValue(body.result.value) : body.result.error})`;
    case "Forward":
      return `Forward(@${body.firstIndex} ${body.entries.map(describeLogEntry).join("; ")})`;
    case "ChainAck":
      return `ChainAck(@${body.applied} stable ${body.stable})`;
    case "StateTransfer":
      return `StateTransfer(@${body.applied} #${body.chunk}${body.last ? " last" : ""}, ${body.kv.length} keys, ${body.lastByClient.length} sessions)`;
    case "StateTransferAck":
      return `StateTransferAck(@${body.applied} ${body.installed ? "installed" : `${body.received} chunks`})`;
    case "ReadCheck":
      return `ReadCheck(${body.id})`;
    case "ReadCheckOk":
      return `ReadCheckOk(${body.id})`;
  }
}

export function describeChainMessage(
  message: Pick<Envelope<ChainMessage>, "from" | "to" | "viewNum" | "body">,
): string {
  return `${message.from} -> ${message.to} [v${message.viewNum}] ${describeChainBody(message.body)}`;
}
