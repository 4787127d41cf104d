import type { Address } from "../../../schemas/address.js";
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
import type { ChainEntry, ChainMessage } from "../messages.js";
import { chainOf, masterAddress, placeOf, tailOf } from "../view.js";

// Chain replication under chaos on the real broker. Servers ping the master,
// whose answers to GetView state the chain; the hard partition cuts the tail
// off from the master alone (it may keep answering reads its predecessor
// confirms, while the master relinks without it). The hostile messages are
// stale and future views, pings for views that do not exist, chain traffic
// from servers that are not a node's neighbours or do not exist, acks and
// confirmations never asked for. They never forge what the protocol must
// trust (a view from the master, a neighbour's message in the current view,
// a reply a client is waiting for): that would be a Byzantine fault.

/** An address no node of the cluster has. */
const ghostServer = "server-913";

const servers = (input: HostileInput): Address[] =>
  input.nodes.filter((node) => node.role === "server").map((node) => node.address);

/** A write of a client no server knows, as a Forward carries it. */
function ghostEntry(f: "put" | "append", marker: string): ChainEntry {
  return {
    type: "op",
    client: "client-ghost",
    session: 1,
    seq: 1,
    op: { f, key: "ghost", value: marker },
    atMs: 0,
  };
}

type Hostile = (
  kind: string,
  from: Address,
  to: Address,
  viewNum: number,
  body: ChainMessage,
) => HostileMessage;
const hostile: Hostile = (kind, from, to, viewNum, body) => ({ kind, from, to, viewNum, body });

/** What the master must refuse: pings of views that do not exist or from non-servers, server traffic. */
function hostileToMaster(input: HostileInput, realServer: Address, future: number): HostileMessage[] {
  const { random } = input;
  return [
    hostile("ping-of-a-future-view", realServer, masterAddress, future, {
      type: "Ping",
      viewNum: future,
      incarnation: random.int(2 ** 32),
      handedOver: true,
    }),
    hostile("ping-from-a-client", `client-garbage${random.int(1e6)}`, masterAddress, 0, {
      type: "Ping",
      viewNum: 0,
      incarnation: 7,
      handedOver: false,
    }),
    hostile("chain-traffic-to-the-master", realServer, masterAddress, 0, {
      type: "ChainAck",
      applied: 1_000_000,
      stable: 1_000_000,
      incarnation: 1,
    }),
  ];
}

/** What a server must refuse: traffic of other views, from non-neighbours, never asked for. */
function hostileToServer(input: HostileInput, realServer: Address, future: number): HostileMessage[] {
  const { marker, random, view } = input;
  const server = random.pick(servers(input));
  const head = view?.primary ?? realServer;
  return [
    hostile("forward-of-a-stale-view-from-a-ghost", ghostServer, server, 0, {
      type: "Forward",
      firstIndex: 1,
      entries: [ghostEntry("put", marker)],
    }),
    hostile("forward-of-a-future-view", head, server, future, {
      type: "Forward",
      firstIndex: 1,
      entries: [ghostEntry("append", marker)],
    }),
    hostile("state-transfer-from-a-ghost", ghostServer, server, future, {
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
        ? { type: "ChainAck", applied: 1_000_000, stable: 1_000_000, incarnation: 1 }
        : { type: "StateTransferAck", applied: 0, received: 1, installed: true, incarnation: 1 },
    ),
    hostile("read-check-from-a-ghost", ghostServer, server, view?.viewNum ?? 0, { type: "ReadCheck", id: 0 }),
    hostile("read-check-ok-of-a-stale-view", realServer, server, 0, {
      type: "ReadCheckOk",
      id: random.int(1000),
    }),
    hostile("request-of-a-future-view", `client-garbage${random.int(1e6)}`, server, future, {
      type: "Request",
      session: 1,
      seq: 1,
      op: random.chance(0.5) ? { f: "get", key: "ghost" } : { f: "put", key: "ghost", value: marker },
    }),
    hostile("register-from-a-server", realServer, server, 0, { type: "RegisterClient", seq: 1 }),
    hostile("view-from-an-impostor", ghostServer, server, future, {
      type: "ViewReply",
      view: { viewNum: future, primary: server, backup: null, chain: [server] },
      incarnations: [[server, 1]],
    }),
    hostile("reply-never-requested", realServer, server, 0, {
      type: "Reply",
      seq: future,
      result: { ok: true, value: marker },
    }),
  ];
}

/** The draws are made in this order, whichever message is picked: a seed gives the same campaign. */
function hostileToNodes(input: HostileInput): HostileMessage[] {
  const future = 1_000_000_000 + input.random.int(1000);
  const realServer = input.random.pick(servers(input));
  return [...hostileToMaster(input, realServer, future), ...hostileToServer(input, realServer, future)];
}

function hostileToClient(input: HostileInput, client: Address): HostileMessage {
  const { marker, random } = input;
  const server = random.pick(servers(input));
  if (random.chance(0.5)) {
    const seq = 1_000_000_000 + random.int(1000);
    const body: ChainMessage = { type: "Reply", seq, result: { ok: true, value: marker } };
    return { kind: "reply-never-requested", from: server, to: client, viewNum: 0, body };
  }
  const body: ChainMessage = {
    type: "ViewReply",
    view: { viewNum: 999_999, primary: ghostServer, backup: null, chain: [ghostServer] },
    incarnations: [],
  };
  return { kind: "view-from-an-impostor", from: ghostServer, to: client, viewNum: 0, body };
}

/** Bodies the chain's schema refuses: bad fields of its own messages (and of Request, which every protocol has). */
function invalidBodies(marker: string): InvalidBody[] {
  const entry = ghostEntry("put", marker);
  return [
    { kind: "forward-empty", body: () => ({ type: "Forward", firstIndex: 1, entries: [] }) },
    { kind: "forward-position-zero", body: () => ({ type: "Forward", firstIndex: 0, entries: [entry] }) },
    {
      kind: "forward-huge-batch",
      body: () => ({ type: "Forward", firstIndex: 1, entries: Array.from({ length: 5_000 }, () => entry) }),
    },
    {
      kind: "chain-ack-negative",
      body: () => ({ type: "ChainAck", applied: -1, stable: 0, incarnation: 1 }),
    },
    {
      kind: "chain-ack-without-incarnation",
      body: () => ({ type: "ChainAck", applied: 1, stable: 1 }),
    },
    { kind: "ping-without-handed-over", body: () => ({ type: "Ping", viewNum: 0, incarnation: 1 }) },
    {
      kind: "ping-incarnation-too-large",
      body: () => ({ type: "Ping", viewNum: 0, incarnation: 2 ** 40, handedOver: false }),
    },
    { kind: "read-check-fractional-id", body: () => ({ type: "ReadCheck", id: 0.5 }) },
    { kind: "read-check-ok-negative-id", body: () => ({ type: "ReadCheckOk", id: -1 }) },
    {
      kind: "view-chain-not-addresses",
      body: () => ({
        type: "ViewReply",
        view: { viewNum: 1, primary: null, backup: null, chain: [7] },
        incarnations: [],
      }),
    },
    {
      kind: "snapshot-malformed",
      body: () => ({ type: "StateTransfer", applied: -1, timeMs: 0, chunk: 0, last: true, kv: [["k"]] }),
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
    { kind: "register-seq-zero", body: () => ({ type: "RegisterClient", seq: 0 }) },
  ];
}

const refused = (why: string): LossVerdict => ({ kind: "refused", why });

/**
 * The chain's fault model (as the simulator's ChainFaultModel, parts/sim.ts):
 * a spare or a joining server may go at any time; a member of the chain (or
 * the master's connection: the master may declare members dead while it
 * reconnects) only when the view is settled (taken up by its tail, two
 * members or more, no join under way), every member is live, and no member
 * was lost since the last settled view: one loss per view, so some member
 * always holds every acknowledged write. Recovered once a later view is settled.
 */
function lossVerdict(victim: Address, situation: LossSituation): LossVerdict {
  const { view } = situation;
  const chain = chainOf(view);
  if (victim !== masterAddress && !chain.includes(victim)) return { kind: "free" };
  if (chain.length < 2) return refused(chain.length === 0 ? "no chain yet" : "a chain of one");
  const earlier = situation.unrecovered.at(-1);
  if (earlier !== undefined) return refused(`a loss in view ${earlier.viewNum} is not recovered from yet`);
  if (!situation.settled) return refused("not taken up by its tail yet, or a join under way");
  for (const member of chain) {
    if (!situation.isLive(member)) return refused(`${member} is not live (${situation.liveness(member)})`);
  }
  return { kind: "counted" };
}

const chainChaosFaults: ChaosFaults = {
  viewRoles: ["head", "middle", "tail", "joining", "spare"],
  // A chain of one is head and tail at once; its losses count under "tail", the place reads are served from.
  roleIn: (view, node) => {
    const place = placeOf(view, node);
    return place === "single" ? "tail" : place;
  },
  lossVerdict,
  // The master moved on from the loss to a view it can leave again: taken up by its tail, two members or more.
  recovered: (loss, now) => now.view.viewNum > loss.viewNum && now.settled,
};

export const chainChaos: ChaosSupport = {
  faults: chainChaosFaults,
  watch: {
    tapped: [masterAddress],
    heartbeat(body) {
      const ping = body as Partial<Extract<ChainMessage, { type: "Ping" }>>;
      if (ping.type !== "Ping" || typeof ping.viewNum !== "number" || typeof ping.incarnation !== "number")
        return null;
      return { viewNum: ping.viewNum, incarnation: ping.incarnation };
    },
    // The process that must take a view up is its tail: the master changes the chain again only after it pinged the view.
    report(body) {
      if (body.type !== "ViewReply") return null;
      const reply = body as Partial<Extract<ChainMessage, { type: "ViewReply" }>>;
      const view = View.safeParse(reply.view);
      if (!view.success) return null;
      const tail = tailOf(view.data);
      const incarnation = reply.incarnations?.find(([address]) => address === tail)?.[1] ?? null;
      return { view: view.data, primaryIncarnation: incarnation };
    },
    takenUp: ({ view, primaryIncarnation }, heard) => {
      const tail = tailOf(view);
      return tail !== null && primaryIncarnation !== null && heard(tail, view.viewNum, primaryIncarnation);
    },
  },
  // The tail cut off from the master (clients and its predecessor still reach it): it must stop answering
  // reads once the master relinked without it, and never lose a write. A chain of one has no hard case.
  partition: (view) => {
    const tail = tailOf(view);
    return tail === null || chainOf(view).length < 2 ? null : { isolated: tail, from: [masterAddress] };
  },
  nodeName: (address) => (address === masterAddress ? "the master" : address),
  hostileToNodes,
  hostileToClient,
  harmlessBody: { type: "GetView" },
  invalidBodies,
};
