// Chain replication's part of chaos runs (src/protocols/chain/parts/chaos.ts):
// the garbage campaign's hostile messages must be well-formed (the node must
// refuse them by protocol, not reject them at the boundary), its invalid
// bodies must be refused by the chain's schema, the observer reads pings and
// chains through it, and the nemesis's fault model is the simulator's (a
// spare or joining server at any time; a member, or the master's
// connection, once per settled view with every member live).
import { describe, expect, it } from "vitest";
import type { HostileMessage, LossSituation } from "../../src/protocols/chaosSupport.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { View } from "../../src/schemas/view.js";
import { Random } from "../../src/sim/random.js";

const chain = protocolNamed("chain");
const nodes = chain.layout(4);
const view: View = {
  viewNum: 5,
  primary: "server-2",
  backup: null,
  chain: ["server-2", "server-4", "server-3"],
};

function onWire(message: HostileMessage): unknown {
  const { from, to, viewNum, body } = message;
  return { v: 1, id: "garbage-1", from, to, viewNum, sentAt: 0, body };
}

describe("the chain's hostile messages", () => {
  it("are well-formed envelopes for their node, to nodes and to clients alike", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const input = {
        marker: "garbage-1",
        nodes,
        view: seed % 2 === 0 ? view : null,
        random: new Random(seed),
      };
      const messages = [
        ...chain.chaos.hostileToNodes(input),
        chain.chaos.hostileToClient(input, "client-abc"),
      ];
      for (const message of messages) {
        const parsed = chain.envelope.safeParse(onWire(message));
        expect(parsed.success, `${message.kind}: ${parsed.error?.message ?? ""}`).toBe(true);
        expect(chain.roleOf(message.to), message.kind).not.toBeNull();
      }
    }
  });

  it("are aimed at the cluster's servers and its master", () => {
    const input = { marker: "m", nodes, view, random: new Random(3) };
    const targets = new Set(chain.chaos.hostileToNodes(input).map((message) => chain.roleOf(message.to)));
    expect([...targets].sort()).toEqual(["master", "server"]);
  });

  it("draw the same for the same seed", () => {
    const draw = (): HostileMessage[] =>
      chain.chaos.hostileToNodes({ marker: "m", nodes, view, random: new Random(9) });
    expect(draw()).toEqual(draw());
  });
});

describe("the chain's invalid bodies", () => {
  it("are refused by the chain's message schema; the harmless body is not", () => {
    const invalid = chain.chaos.invalidBodies("m");
    expect(invalid.length).toBeGreaterThan(5);
    for (const body of invalid) expect(chain.messages.safeParse(body.body()).success, body.kind).toBe(false);
    expect(chain.messages.safeParse(chain.chaos.harmlessBody).success).toBe(true);
  });
});

describe("the chain's watch", () => {
  const { watch } = chain.chaos;

  it("reads a ping to the master as a heartbeat and nothing else", () => {
    const ping = { type: "Ping", viewNum: 3, incarnation: 7, handedOver: false };
    expect(watch.heartbeat(ping as never)).toEqual({ viewNum: 3, incarnation: 7 });
    expect(watch.heartbeat({ type: "GetView" })).toBeNull();
    expect(watch.tapped).toEqual(["master"]);
  });

  it("reads the chain and its tail's incarnation from the master's answer: the tail takes a view up", () => {
    const reply = {
      type: "ViewReply",
      view,
      incarnations: [
        ["server-2", 1],
        ["server-4", 2],
        ["server-3", 3],
      ],
    };
    const report = watch.report(reply as never);
    expect(report).toEqual({ view, primaryIncarnation: 3 });
    const heardTail = (node: string, viewNum: number, incarnation: number | null) =>
      node === "server-3" && viewNum === 5 && incarnation === 3;
    expect(watch.takenUp(report!, heardTail)).toBe(true);
    expect(watch.takenUp(report!, (node) => node === "server-2")).toBe(false);
    expect(watch.report({ type: "Reply" })).toBeNull();
  });

  it("cuts the tail off from the master, when the chain has two members or more", () => {
    expect(chain.chaos.partition(view)).toEqual({ isolated: "server-3", from: ["master"] });
    expect(chain.chaos.partition({ ...view, chain: ["server-2"] })).toBeNull();
    expect(chain.chaos.nodeName("master")).toBe("the master");
    expect(chain.chaos.nodeName("server-2")).toBe("server-2");
  });
});

describe("the chain's fault model", () => {
  const { faults } = chain.chaos;
  const situation = (at: View, overrides: Partial<LossSituation> = {}): LossSituation => ({
    view: at,
    settled: true,
    latestAnswer: () => null,
    isLive: () => true,
    liveness: () => "up",
    unrecovered: [],
    groupBefore: null,
    ...overrides,
  });
  const refusal = (victim: string, s: LossSituation): string => {
    const verdict = faults.lossVerdict(victim, s);
    return verdict.kind === "refused" ? verdict.why : verdict.kind;
  };

  it("names each server's place: head, middle, tail, joining or spare", () => {
    const joining = { ...view, joining: "server-1" };
    expect(
      ["server-2", "server-4", "server-3", "server-1"].map((node) => faults.roleIn(joining, node)),
    ).toEqual(["head", "middle", "tail", "joining"]);
    expect(faults.roleIn(view, "server-1")).toBe("spare");
    for (const node of ["server-1", "server-2"])
      expect(faults.viewRoles).toContain(faults.roleIn(view, node));
  });

  it("lets a spare or a joining server go at any time", () => {
    expect(faults.lossVerdict("server-1", situation(view, { settled: false }))).toEqual({ kind: "free" });
    const joining = { ...view, joining: "server-1" };
    expect(faults.lossVerdict("server-1", situation(joining, { settled: false }))).toEqual({ kind: "free" });
  });

  it("counts the loss of any member, or of the master's connection, in a settled view with every member live", () => {
    for (const victim of ["server-2", "server-4", "server-3", "master"])
      expect(faults.lossVerdict(victim, situation(view))).toEqual({ kind: "counted" });
  });

  it("refuses it in a chain of one, after a loss not recovered from, before the tail took the view up, or with a member not live", () => {
    expect(refusal("server-2", situation({ ...view, chain: ["server-2"] }))).toBe("a chain of one");
    const lost = { unrecovered: [{ node: "server-3", viewNum: 5, atEpochMs: 0 }] };
    expect(refusal("server-2", situation(view, lost))).toBe("a loss in view 5 is not recovered from yet");
    expect(refusal("server-4", situation(view, { settled: false }))).toMatch(/^not taken up by its tail/);
    const downMiddle = situation(view, { isLive: (node) => node !== "server-4", liveness: () => "crashed" });
    expect(refusal("server-2", downMiddle)).toBe("server-4 is not live (crashed)");
  });

  it("has recovered from a loss once a later view is settled", () => {
    const loss = { node: "server-3", viewNum: 5, atEpochMs: 0 };
    const now = (viewNum: number, settled: boolean) => ({
      view: { ...view, viewNum },
      settled,
      latestAnswer: () => null,
    });
    expect(faults.recovered(loss, now(5, true))).toBe(false);
    expect(faults.recovered(loss, now(6, false))).toBe(false);
    expect(faults.recovered(loss, now(6, true))).toBe(true);
  });
});
