import { describeLogEntry } from "../../kv/logEntry.js";
import type { Envelope } from "../../schemas/envelope.js";
import { describeOp, shortValue } from "../../schemas/op.js";
import { describeMembers } from "./members.js";
import type { VrEntry, VrMessage } from "./messages.js";

// One deterministic text form for VR's messages: logs, traces, counterexamples.

export function describeVrEntry(entry: VrEntry): string {
  if (entry.type === "reconfig")
    return `reconfigure to epoch ${entry.epoch} (${describeMembers(entry.members)}) from view ${entry.startView}`;
  if (entry.type === "check") return `${entry.client}#${entry.seq} check epoch`;
  return describeLogEntry(entry);
}

function describeEntries(after: number, entries: readonly VrEntry[]): string {
  if (entries.length === 0) return `nothing after ${after}`;
  return `@${after + 1}..${after + entries.length} ${entries.map(describeVrEntry).join("; ")}`;
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
      return `ViewReport(epoch ${body.epoch} (${describeMembers(body.members)}) v${body.viewNum} ${body.status}, op ${body.opNumber}, commit ${body.commitNumber})`;
    case "NotPrimary":
      return `NotPrimary(epoch ${body.epoch} (${describeMembers(body.members)})${body.normal ? "" : ", not normal"})`;
    case "Reconfigure":
      return `Reconfigure(#${body.seq} epoch ${body.epoch} -> ${describeMembers(body.members)})`;
    case "ReconfigureReply":
      return `ReconfigureReply(#${body.seq} ${body.result.ok ? `epoch ${body.result.epoch}` : `${body.result.error}: ${body.result.reason}`})`;
    case "CheckEpoch":
      return `CheckEpoch(#${body.seq} epoch ${body.epoch})`;
    case "EpochRunning":
      return `EpochRunning(#${body.seq} epoch ${body.epoch}: ${describeMembers(body.members)})`;
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
      return `RecoveryResponse(nonce ${body.nonce}${body.recovering ? ", recovering too" : ""}, epoch ${body.epoch}${body.pending ? ", reconfiguring" : ""})`;
    case "StartEpoch":
      return `StartEpoch(${body.epoch}: ${describeMembers(body.members)}, from op ${body.epochStart.op} view ${body.epochStart.view})`;
    case "GetEpoch":
      return `GetEpoch(mine ${body.epoch})`;
    case "EpochStarted":
      return `EpochStarted(${body.epoch})`;
    case "EpochProbe":
      return `EpochProbe(reconfiguration at op ${body.op})`;
    case "EpochProbeOK":
      return `EpochProbeOK(op ${body.op})`;
  }
}

export function describeVrMessage(
  message: Pick<Envelope<VrMessage>, "from" | "to" | "viewNum" | "body">,
): string {
  const body = message.body;
  const epoch = "epoch" in body && typeof body.epoch === "number" && body.epoch > 0 ? `e${body.epoch} ` : "";
  return `${message.from} -> ${message.to} [${epoch}v${message.viewNum}] ${describeVrBody(body)}`;
}
