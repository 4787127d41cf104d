// VR's hostile messages (src/protocols/vr/parts/chaos.ts): well-formed, and
// never a forged answer of the view a replica may be fetching. Chaos seed 302
// lost a client's writes to a NewState of view 0 "from" a real replica
// (test/sim/vrStaleFetchAnswer.test.ts); a fetch now refuses earlier views,
// so such a NewState comes from a real replica only once the group is past
// view 0 for good (view 2 observed), and from a ghost before.
import { describe, expect, it } from "vitest";
import type { HostileMessage } from "../../src/protocols/chaosSupport.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { replicaIndex } from "../../src/protocols/vr/members.js";
import { Random } from "../../src/sim/random.js";

const vr = protocolNamed("vr");
const nodes = vr.layout(3, vr.config.defaults);

function onWire(message: HostileMessage): unknown {
  const { from, to, viewNum, body } = message;
  return { v: 1, id: "garbage-1", from, to, viewNum, sentAt: 0, body };
}

function newStates(viewNum: number | null): HostileMessage[] {
  const view = viewNum === null ? null : { viewNum, primary: "server-2", backup: null };
  return Array.from({ length: 40 }, (_, seed) =>
    vr.chaos.hostileToNodes({ marker: "m", nodes, view, random: new Random(seed + 1) }),
  ).flatMap((messages) => messages.filter((message) => message.kind === "new-state-never-asked"));
}

describe("VR's hostile messages", () => {
  it("are well-formed envelopes for a replica", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const view = seed % 2 === 0 ? { viewNum: seed, primary: "server-1", backup: null } : null;
      const input = { marker: "m", nodes, view, random: new Random(seed) };
      for (const message of vr.chaos.hostileToNodes(input)) {
        const parsed = vr.envelope.safeParse(onWire(message));
        expect(parsed.success, `${message.kind}: ${parsed.error?.message ?? ""}`).toBe(true);
        expect(replicaIndex(message.to), message.kind).not.toBeNull();
      }
    }
  });

  it("send a NewState of view 0 from a real replica only once view 2 was observed", () => {
    for (const viewNum of [null, 0, 1])
      for (const message of newStates(viewNum)) {
        expect(message.viewNum).toBe(0);
        expect(replicaIndex(message.from), `view ${viewNum}: ${message.from}`).toBeNull();
      }
    const later = newStates(2);
    expect(later.length).toBeGreaterThan(0);
    for (const message of later) expect(replicaIndex(message.from)).not.toBeNull();
  });
});
