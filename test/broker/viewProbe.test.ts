// The view probe (`kv view`, the library's view(), the dashboard's first view)
// asks every node of the protocol's view query and reports the highest view
// answered, once all answered or a short grace after the first answer: one
// answering node (pb's view server) is reported at once, as it always was;
// of VR's replicas, one that is down or behind neither holds the probe up nor
// has the last word.
import { describe, expect, it } from "vitest";
import { createViewProbe, higherView } from "../../src/broker/viewProbe.js";
import { type ViewQuery, viewAnswerGraceMs } from "../../src/protocols/brokerSupport.js";
import type { ProtocolConfigBase } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { View } from "../../src/schemas/view.js";
import { ActorProbe } from "../support/actorProbe.js";

const replicas = ["server-1", "server-2", "server-3"];
const retryMs = 100;

type ReplicatedConfig = ProtocolConfigBase & { replicas: number };
/** Who answers depends on the configuration: VR asks its `replicas` replicas. */
const config: ReplicatedConfig = { clientRetryMs: retryMs, mutations: [], replicas: 3 };

/** A query shaped like VR's: every replica answers with the view it holds. */
const replicaQuery: ViewQuery = {
  to: (config) => replicas.slice(0, (config as ReplicatedConfig).replicas),
  request: { type: "GetState" },
  viewOf: (body) => (body.type === "State" ? ((body as unknown as { view: View }).view ?? null) : null),
};

const vrView = (viewNum: number, status = "normal"): View => ({
  viewNum,
  primary: replicas[viewNum % replicas.length] ?? null,
  backup: null,
  replicas,
  status,
});

const answer = (view: View): { type: string; view: View } => ({ type: "State", view });

function probeOf(query: ViewQuery): ActorProbe<ReturnType<ReturnType<typeof createViewProbe>["init"]>> {
  return new ActorProbe(createViewProbe(query, config), "client-probe");
}

describe("the view probe", () => {
  it("asks every node of the query, and again after retryMs while none answered", () => {
    const probe = probeOf(replicaQuery);
    expect(probe.takeSent().map((sent) => sent.to)).toEqual(replicas);
    probe.fire({ type: "ViewProbeRetryTimer" });
    expect(probe.takeSent().map((sent) => sent.to)).toEqual(replicas);
    expect(probe.events).toEqual([]);
  });

  it("reports the highest view once every node answered", () => {
    const probe = probeOf(replicaQuery);
    probe.deliver("server-2", answer(vrView(4)));
    probe.deliver("server-1", answer(vrView(5, "view-change")));
    expect(probe.events).toEqual([]);
    probe.deliver("server-3", answer(vrView(4)));
    expect(probe.events).toEqual([{ type: "viewChanged", view: vrView(5, "view-change") }]);
  });

  it("reports the best answer when the grace after the first answer ends, without the silent node", () => {
    const probe = probeOf(replicaQuery);
    probe.deliver("server-1", answer(vrView(7)));
    expect(probe.timers.at(-1)).toEqual({
      timer: { type: "ViewProbeGraceTimer" },
      afterMs: viewAnswerGraceMs,
    });
    probe.deliver("server-3", answer(vrView(6)));
    probe.fire({ type: "ViewProbeGraceTimer" });
    expect(probe.events).toEqual([{ type: "viewChanged", view: vrView(7) }]);
    // Done: a late answer and a retry change nothing.
    probe.deliver("server-2", answer(vrView(9)));
    probe.takeSent();
    probe.fire({ type: "ViewProbeRetryTimer" });
    expect(probe.events).toHaveLength(1);
    expect(probe.takeSent()).toEqual([]);
  });

  it("does not ask again once an answer is in (the grace timer reports)", () => {
    const probe = probeOf(replicaQuery);
    probe.takeSent();
    probe.deliver("server-2", answer(vrView(1)));
    probe.fire({ type: "ViewProbeRetryTimer" });
    expect(probe.takeSent()).toEqual([]);
  });

  it("ignores answers from nodes it did not ask, and bodies that are no view", () => {
    const probe = probeOf(replicaQuery);
    probe.deliver("server-9", answer(vrView(50)));
    probe.deliver("server-1", { type: "Something" });
    expect(probe.state.answered).toEqual([]);
    for (const replica of replicas) probe.deliver(replica, answer(vrView(2)));
    expect(probe.events).toEqual([{ type: "viewChanged", view: vrView(2) }]);
  });

  it("reports pb's view server's answer at once (one node asked: no grace)", () => {
    const pb = protocolNamed("pb");
    const probe = probeOf(pb.broker.viewQuery);
    expect(probe.takeSent()).toEqual([{ to: "viewserver", viewNum: 0, body: { type: "GetView" } }]);
    const view: View = { viewNum: 3, primary: "server-1", backup: "server-2" };
    probe.deliver("viewserver", { type: "ViewReply", view, primaryIncarnation: 1 });
    expect(probe.events).toEqual([{ type: "viewChanged", view }]);
    expect(probe.timers.map((entry) => entry.timer.type)).toEqual(["ViewProbeRetryTimer"]);
  });

  it("asks the nodes the configuration has (two replicas: two answers are all)", () => {
    const probe = new ActorProbe(
      createViewProbe(replicaQuery, { ...config, replicas: 2 } as ReplicatedConfig),
      "client-probe",
    );
    expect(probe.takeSent().map((sent) => sent.to)).toEqual(["server-1", "server-2"]);
    probe.deliver("server-1", answer(vrView(1)));
    probe.deliver("server-2", answer(vrView(1)));
    expect(probe.events).toHaveLength(1);
  });

  it("keeps the first of equal views", () => {
    const first = vrView(3, "normal");
    expect(higherView(first, vrView(3, "recovering"))).toBe(first);
    expect(higherView(first, vrView(4)).viewNum).toBe(4);
    expect(higherView(null, first)).toEqual(first);
  });
});
