import type { Envelope } from "../../schemas/envelope.js";
import { describeLogEntry } from "../../kv/logEntry.js";
import type { MessageBody } from "./messages.js";
import { describeOp, shortValue } from "../../schemas/op.js";
import { describeView } from "../../schemas/view.js";

// One deterministic text form for views, operations and messages, shared by
// logs, simulator traces and model-checker counterexamples.

// Operations and views are every protocol's: their text forms live with their schemas.
export { describeOp, describeView };

export function describeBody(body: MessageBody): string {
  switch (body.type) {
    case "Ping":
      return `Ping(${body.viewNum}, inc ${body.incarnation})`;
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
      return `Forward(@${body.firstIndex} ${body.entries.map(describeEntry).join("; ")})`;
    case "ForwardAck":
      return `ForwardAck(@${body.index})`;
    case "ForwardReject":
      return "ForwardReject";
    case "StateTransfer":
      return `StateTransfer(@${body.applied} #${body.chunk}${body.last ? " last" : ""}, ${body.kv.length} keys, ${body.lastByClient.length} sessions)`;
    case "StateTransferAck":
      return `StateTransferAck(@${body.applied} ${body.installed ? "installed" : `${body.received} chunks`})`;
  }
}

/** A log entry (src/kv/logEntry.ts has the one text form). */
export const describeEntry = describeLogEntry;

export function describeMessage(
  message: Pick<Envelope<MessageBody>, "from" | "to" | "viewNum" | "body">,
): string {
  return `${message.from} -> ${message.to} [v${message.viewNum}] ${describeBody(message.body)}`;
}
