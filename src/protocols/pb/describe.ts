import type { Envelope } from "../../schemas/envelope.js";
import type { MessageBody } from "./messages.js";
import type { Op } from "../../schemas/op.js";
import { describeView } from "../../schemas/view.js";

// One deterministic text form for views, operations and messages, shared by
// logs, simulator traces and model-checker counterexamples.

const valueShownMax = 24;

export { describeView };

function shortValue(value: string): string {
  const shown = value.length > valueShownMax ? `${value.slice(0, valueShownMax)}…(${value.length})` : value;
  return JSON.stringify(shown);
}

export function describeOp(op: Op): string {
  return op.f === "get"
    ? `get(${JSON.stringify(op.key)})`
    : `${op.f}(${JSON.stringify(op.key)}, ${shortValue(op.value)})`;
}

export function describeBody(body: MessageBody): string {
  switch (body.type) {
    case "Ping":
      return `Ping(${body.viewNum}, inc ${body.incarnation})`;
    case "GetView":
      return "GetView";
    case "ViewReply":
      return `ViewReply(${describeView(body.view)})`;
    case "Request":
      return `Request(#${body.seq} ${describeOp(body.op)})`;
    case "Reply":
      return `Reply(#${body.seq} ${body.result.ok ? shortValue(body.result.value) : body.result.error})`;
    case "Forward":
      return `Forward(@${body.firstIndex} ${body.entries.map((e) => `${e.client}#${e.seq} ${describeOp(e.op)}`).join("; ")})`;
    case "ForwardAck":
      return `ForwardAck(@${body.index})`;
    case "ForwardReject":
      return "ForwardReject";
    case "StateTransfer":
      return `StateTransfer(@${body.applied} #${body.chunk}${body.last ? " last" : ""}, ${body.kv.length} keys, ${body.lastByClient.length} clients)`;
    case "StateTransferAck":
      return `StateTransferAck(@${body.applied} ${body.installed ? "installed" : `${body.received} chunks`})`;
  }
}

export function describeMessage(
  message: Pick<Envelope<MessageBody>, "from" | "to" | "viewNum" | "body">,
): string {
  return `${message.from} -> ${message.to} [v${message.viewNum}] ${describeBody(message.body)}`;
}
