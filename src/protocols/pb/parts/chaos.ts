import { type Address, viewServerAddress } from "../../../schemas/address.js";
import { valueBytesMax } from "../../../schemas/limits.js";
import { View } from "../../../schemas/view.js";
import type {
  ChaosFaults,
  ChaosSupport,
  HostileInput,
  HostileMessage,
  InvalidBody,
  LossSituation,
  LossVerdict,
} from "../../chaosSupport.js";
import type { ForwardEntry, MessageBody } from "../messages.js";

// Primary/backup under chaos: servers ping the view server, whose answers to
// GetView state the view; the hard partition cuts the primary off from the
// view server alone; the hostile messages are stale and future views, pings
// for views that do not exist, replies never asked for, traffic from servers
// that do not exist. It never forges what the protocol must trust (a view
// from the view server, a reply or an ack a node is waiting for): that would
// be a Byzantine fault, outside the fault model.

/** An address no node of the cluster has. */
const ghostServer = "server-913";

const servers = (input: HostileInput): Address[] =>
  input.nodes.filter((node) => node.role === "server").map((node) => node.address);

/** A write of a client no server knows, as a forward carries it. */
function ghostEntry(f: "put" | "append", marker: string): ForwardEntry {
  return {
    type: "op",
    client: "client-ghost",
    session: 1,
    seq: 1,
    op: { f, key: "ghost", value: marker },
    atMs: 0,
  };
}

/** The draws are made in this order, whichever message is picked: a seed gives the same campaign. */
function hostileToNodes(input: HostileInput): HostileMessage[] {
  const { marker, random } = input;
  const future = 1_000_000_000 + random.int(1000);
  const realServer = random.pick(servers(input));
  const server = random.pick(servers(input));
  const hostile = (
    kind: string,
    from: Address,
    to: Address,
    viewNum: number,
    body: MessageBody,
  ): HostileMessage => ({ kind, from, to, viewNum, body });
  return [
    hostile("ping-of-a-future-view", realServer, viewServerAddress, future, {
      type: "Ping",
      viewNum: future,
      incarnation: random.int(2 ** 32),
    }),
    hostile("ping-from-a-client", `client-garbage${random.int(1e6)}`, viewServerAddress, 0, {
      type: "Ping",
      viewNum: 0,
      incarnation: 7,
    }),
    hostile("forward-of-a-stale-view-from-a-ghost", ghostServer, server, 0, {
      type: "Forward",
      firstIndex: 1,
      entries: [ghostEntry("put", marker)],
    }),
    hostile("forward-of-a-future-view", input.view?.primary ?? realServer, server, future, {
      type: "Forward",
      firstIndex: 1,
      entries: [ghostEntry("append", marker)],
    }),
    hostile("state-transfer-of-a-stale-view", ghostServer, server, 0, {
      type: "StateTransfer",
      applied: 5,
      timeMs: 0,
      chunk: 0,
      last: true,
      kv: [["ghost", marker]],
      lastByClient: [],
    }),
    hostile(
      "acks-of-a-stale-view",
      realServer,
      server,
      0,
      random.chance(0.5)
        ? { type: "ForwardAck", index: 1_000_000 }
        : { type: "StateTransferAck", applied: 0, received: 1, installed: true, incarnation: 1 },
    ),
    hostile("request-of-a-future-view", `client-garbage${random.int(1e6)}`, server, future, {
      type: "Request",
      session: 1,
      seq: 1,
      op: { f: "put", key: "ghost", value: marker },
    }),
    hostile("view-from-an-impostor", ghostServer, server, future, {
      type: "ViewReply",
      view: { viewNum: future, primary: server, backup: null },
      primaryIncarnation: 1,
    }),
    hostile("reply-never-requested", realServer, server, 0, {
      type: "Reply",
      seq: future,
      result: { ok: true, value: marker },
    }),
    hostile("server-traffic-to-the-view-server", realServer, viewServerAddress, 0, { type: "ForwardReject" }),
  ];
}

function hostileToClient(input: HostileInput, client: Address): HostileMessage {
  const { marker, random } = input;
  const server = random.pick(servers(input));
  if (random.chance(0.5)) {
    const seq = 1_000_000_000 + random.int(1000);
    const body: MessageBody = { type: "Reply", seq, result: { ok: true, value: marker } };
    return { kind: "reply-never-requested", from: server, to: client, viewNum: 0, body };
  }
  const body: MessageBody = {
    type: "ViewReply",
    view: { viewNum: 999_999, primary: ghostServer, backup: null },
    primaryIncarnation: null,
  };
  return { kind: "view-from-an-impostor", from: ghostServer, to: client, viewNum: 0, body };
}

function invalidBodies(_marker: string): InvalidBody[] {
  const longKey = "k".repeat(300);
  const entry = {
    type: "op",
    client: "client-garbage",
    session: 1,
    seq: 1,
    op: { f: "get", key: "g" },
    atMs: 0,
  };
  return [
    {
      kind: "request-unknown-op",
      body: () => ({ type: "Request", session: 1, seq: 1, op: { f: "delete", key: "k" } }),
    },
    {
      kind: "request-seq-zero",
      body: () => ({ type: "Request", session: 1, seq: 0, op: { f: "get", key: "k" } }),
    },
    {
      kind: "request-key-too-long",
      body: () => ({ type: "Request", session: 1, seq: 1, op: { f: "get", key: longKey } }),
    },
    {
      kind: "request-value-too-long",
      body: () => ({
        type: "Request",
        session: 1,
        seq: 1,
        op: { f: "put", key: "k", value: "v".repeat(valueBytesMax + 1) },
      }),
    },
    { kind: "forward-empty", body: () => ({ type: "Forward", firstIndex: 1, entries: [] }) },
    {
      kind: "forward-huge-batch",
      body: () => ({ type: "Forward", firstIndex: 1, entries: Array.from({ length: 5_000 }, () => entry) }),
    },
    {
      kind: "snapshot-malformed",
      body: () => ({ type: "StateTransfer", applied: -1, chunk: 0, kv: [["k"]] }),
    },
    {
      kind: "view-malformed",
      body: () => ({ type: "ViewReply", view: { viewNum: -5 }, primaryIncarnation: "x" }),
    },
  ];
}

const refused = (why: string): LossVerdict => ({ kind: "refused", why });

/**
 * pb's fault model (DESIGN §4.1, as the simulator's PbFaultModel): an idle
 * server may go at any time; the primary or the backup (or the view server's
 * connection: it may drop either on reconnect) only when the view is settled
 * (acknowledged by its primary, with a backup holding the state, since a
 * primary acknowledges only after the transfer), both are live, and no role
 * was lost in this view yet: at most one per acknowledged view.
 */
function lossVerdict(victim: Address, situation: LossSituation): LossVerdict {
  const { view } = situation;
  if (victim !== viewServerAddress && victim !== view.primary && victim !== view.backup)
    return { kind: "free" };
  if (view.primary === null || view.backup === null) return refused("no backup");
  const earlier = situation.unrecovered.filter((loss) => loss.viewNum >= view.viewNum).at(-1);
  if (earlier !== undefined) return refused(`a role was lost in view ${earlier.viewNum} already`);
  if (!situation.settled) return refused("not acknowledged by its primary yet");
  for (const server of [view.primary, view.backup]) {
    if (!situation.isLive(server)) return refused(`${server} is not live (${situation.liveness(server)})`);
  }
  return { kind: "counted" };
}

const pbChaosFaults: ChaosFaults = {
  viewRoles: ["primary", "backup", "idle"],
  roleIn: (view, node) => (node === view.primary ? "primary" : node === view.backup ? "backup" : "idle"),
  lossVerdict,
  // The view server moved on from the loss to a view it can leave again: acknowledged, with a backup.
  recovered: (loss, now) => now.view.viewNum > loss.viewNum && now.settled,
};

export const pbChaos: ChaosSupport = {
  faults: pbChaosFaults,
  watch: {
    tapped: [viewServerAddress],
    heartbeat(body) {
      const ping = body as Partial<Extract<MessageBody, { type: "Ping" }>>;
      if (ping.type !== "Ping" || typeof ping.viewNum !== "number" || typeof ping.incarnation !== "number")
        return null;
      return { viewNum: ping.viewNum, incarnation: ping.incarnation };
    },
    report(body) {
      if (body.type !== "ViewReply") return null;
      const reply = body as Partial<Extract<MessageBody, { type: "ViewReply" }>>;
      const view = View.safeParse(reply.view);
      if (!view.success) return null;
      return { view: view.data, primaryIncarnation: reply.primaryIncarnation ?? null };
    },
    // The view server changes views only once the primary it chose (that process) pinged the view's number.
    takenUp: ({ view, primaryIncarnation }, heard) =>
      view.primary !== null &&
      primaryIncarnation !== null &&
      heard(view.primary, view.viewNum, primaryIncarnation),
  },
  partition: (view) => (view.primary === null ? null : { isolated: view.primary, from: [viewServerAddress] }),
  nodeName: (address) => (address === viewServerAddress ? "the view server" : address),
  hostileToNodes,
  hostileToClient,
  harmlessBody: { type: "GetView" },
  invalidBodies,
};
