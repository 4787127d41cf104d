import type { Address } from "../../../schemas/address.js";
import { View } from "../../../schemas/view.js";
import type {
  ChaosFaults,
  ChaosSupport,
  HostileInput,
  HostileMessage,
  InvalidBody,
} from "../../chaosSupport.js";
import type { ChainMessage } from "../messages.js";
import { chainOf, masterAddress, placeOf, tailOf } from "../view.js";

// TEMPORARY (to be replaced before merge): chain replication under chaos.

const servers = (input: HostileInput): Address[] =>
  input.nodes.filter((node) => node.role === "server").map((node) => node.address);

function hostileToNodes(input: HostileInput): HostileMessage[] {
  const server = input.random.pick(servers(input));
  const future = 1_000_000_000 + input.random.int(1000);
  const body: ChainMessage = {
    type: "Request",
    session: 1,
    seq: 1,
    op: { f: "put", key: "ghost", value: input.marker },
  };
  return [
    {
      kind: "request-of-a-future-view",
      from: `client-garbage${input.random.int(1e6)}`,
      to: server,
      viewNum: future,
      body,
    },
  ];
}

function hostileToClient(input: HostileInput, client: Address): HostileMessage {
  const server = input.random.pick(servers(input));
  const body: ChainMessage = { type: "Reply", seq: 1_000_000_000, result: { ok: true, value: input.marker } };
  return { kind: "reply-never-requested", from: server, to: client, viewNum: 0, body };
}

function invalidBodies(): InvalidBody[] {
  return [{ kind: "forward-empty", body: () => ({ type: "Forward", firstIndex: 1, entries: [] }) }];
}

const faults: ChaosFaults = {
  viewRoles: ["head", "middle", "tail", "joining", "spare"],
  roleIn: (view, node) => {
    const place = placeOf(view, node);
    return place === "single" ? "tail" : place;
  },
  lossVerdict(victim, situation) {
    if (!chainOf(situation.view).includes(victim)) return { kind: "free" };
    if (!situation.settled) return { kind: "refused", why: "not taken up by its tail yet" };
    return { kind: "counted" };
  },
  recovered: (loss, now) => now.view.viewNum > loss.viewNum && now.settled,
};

export const chainChaos: ChaosSupport = {
  faults,
  watch: {
    tapped: [masterAddress],
    heartbeat(body) {
      const ping = body as Partial<Extract<ChainMessage, { type: "Ping" }>>;
      if (ping.type !== "Ping" || typeof ping.viewNum !== "number" || typeof ping.incarnation !== "number")
        return null;
      return { viewNum: ping.viewNum, incarnation: ping.incarnation };
    },
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
  partition: (view) => {
    const tail = tailOf(view);
    return tail === null ? null : { isolated: tail, from: [masterAddress] };
  },
  nodeName: (address) => (address === masterAddress ? "the master" : address),
  hostileToNodes,
  hostileToClient,
  harmlessBody: { type: "GetView" },
  invalidBodies,
};
