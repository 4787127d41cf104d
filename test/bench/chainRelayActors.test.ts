// Chain replication's ceiling actors (src/protocols/chain/relayActors.ts): an
// update goes head → middle → tail, the tail answers the client and its
// ChainAck goes back up; a read goes to the tail, which answers once the
// middle server confirmed it. The four actors wired by hand, each message
// carried from one to the next.
import { describe, expect, it } from "vitest";
import { protocolNamed } from "../../src/protocols/registry.js";
import {
  chainRelayAt,
  chainRelayView,
  chainRelayWaitingMax,
  type ChainRelayState,
} from "../../src/protocols/chain/relayActors.js";
import type { ChainMessage } from "../../src/protocols/chain/messages.js";
import type { ActorDefinition } from "../../src/actors/context.js";
import type { Op } from "../../src/schemas/op.js";
import { ActorProbe, type Sent } from "../support/actorProbe.js";

const put: Op = { f: "put", key: "k2", value: "v" };
const get: Op = { f: "get", key: "k1" };
const ok = { ok: true, value: "" };

type Probe = ActorProbe<ChainRelayState, ChainMessage>;

/** The relay cluster: master, head, middle, tail; `carry` delivers every server-bound message until none is left, and returns what went to clients. */
function relayCluster(): { probes: Map<string, Probe>; carry: (first: Probe) => Sent<ChainMessage>[] } {
  const probes = new Map<string, Probe>();
  for (const address of ["master", "server-1", "server-2", "server-3"]) {
    const definition = chainRelayAt(address) as ActorDefinition<ChainRelayState, ChainMessage> | null;
    if (definition === null) throw new Error(`no relay actor at ${address}`);
    probes.set(address, new ActorProbe(definition, address));
  }
  const carry = (first: Probe): Sent<ChainMessage>[] => {
    const toClients: Sent<ChainMessage>[] = [];
    const queue = first.takeSent().map((sent) => ({ from: first.self, sent }));
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const target = probes.get(next.sent.to);
      if (target === undefined) {
        toClients.push(next.sent);
        continue;
      }
      target.deliver(next.from, next.sent.body, next.sent.viewNum);
      queue.push(...target.takeSent().map((sent) => ({ from: target.self, sent })));
    }
    return toClients;
  };
  return { probes, carry };
}

describe("chain's relay actors", () => {
  it("the master names the fixed chain; the head opens sessions at once", () => {
    const { probes } = relayCluster();
    const master = probes.get("master")!;
    master.deliver("client-a", { type: "GetView" });
    expect(master.takeSent()).toEqual([
      { to: "client-a", viewNum: 1, body: { type: "ViewReply", view: chainRelayView, incarnations: [] } },
    ]);
    expect(chainRelayView.chain).toEqual(["server-1", "server-2", "server-3"]);
    const head = probes.get("server-1")!;
    head.deliver("client-a", { type: "RegisterClient", seq: 1 });
    expect(head.takeSent()).toEqual([
      {
        to: "client-a",
        viewNum: 1,
        body: { type: "RegisterReply", seq: 1, result: { ok: true, session: 1 } },
      },
    ]);
  });

  it("an update goes down the chain, the tail answers, and its ChainAck lets the head forget it", () => {
    const { probes, carry } = relayCluster();
    const head = probes.get("server-1")!;
    head.deliver("client-a", { type: "Request", session: 1, seq: 3, op: put });
    expect(head.state.waiting.size).toBe(1);
    const answers = carry(head);
    expect(answers).toEqual([{ to: "client-a", viewNum: 1, body: { type: "Reply", seq: 3, result: ok } }]);
    expect(head.state.waiting.size).toBe(0);
    expect(head.state.relayingByClient.size).toBe(0);
  });

  it("a read goes to the tail, which answers once the middle server confirmed it", () => {
    const { probes, carry } = relayCluster();
    const tail = probes.get("server-3")!;
    tail.deliver("client-b", { type: "Request", session: 1, seq: 5, op: get });
    expect(tail.sentOfType("ReadCheck").map((sent) => sent.to)).toEqual(["server-2"]);
    const answers = carry(tail);
    expect(answers).toEqual([{ to: "client-b", viewNum: 1, body: { type: "Reply", seq: 5, result: ok } }]);
    expect(tail.state.waiting.size).toBe(0);
  });

  it("a retry of an operation on its way is not relayed twice, and the waiting lists are bounded", () => {
    const { probes } = relayCluster();
    const head = probes.get("server-1")!;
    head.deliver("client-a", { type: "Request", session: 1, seq: 1, op: put });
    head.deliver("client-a", { type: "Request", session: 1, seq: 1, op: put });
    expect(head.sentOfType("Forward")).toHaveLength(1);
    const tail = probes.get("server-3")!;
    for (let index = 0; index <= chainRelayWaitingMax; index++)
      tail.deliver(`client-${index}`, { type: "Request", session: 1, seq: 1, op: get });
    expect(tail.state.waiting.size).toBe(chainRelayWaitingMax);
    expect(tail.state.waiting.has(1)).toBe(false);
  });

  it("each server takes only its own part: a read at the head, an update at the tail are dropped", () => {
    const { probes } = relayCluster();
    probes.get("server-1")!.deliver("client-a", { type: "Request", session: 1, seq: 1, op: get });
    probes.get("server-3")!.deliver("client-a", { type: "Request", session: 1, seq: 1, op: put });
    expect(probes.get("server-1")!.takeSent()).toEqual([]);
    expect(probes.get("server-3")!.takeSent()).toEqual([]);
    expect(chainRelayAt("server-4")).toBeNull();
    expect(protocolNamed("chain").bench.relay?.servers).toBe(3);
  });
});
