// The chaos nemesis's fault model comes from the protocol (`chaos.faults`,
// `chaos.watch.takenUp`, `broker.ready`): the nemesis itself knows no
// primary or backup. pb's answers keep its rule (an idle server at any time;
// the primary or backup at most one per settled view, both live), and a
// protocol with 2f+1 replicas may allow f losses at once: the nemesis counts
// each loss under the role the protocol names and asks it again before the next.
import { describe, expect, it } from "vitest";
import type { ChaosCluster } from "../../src/chaos/cluster.js";
import { Nemesis } from "../../src/chaos/nemesis.js";
import {
  answerReplaces,
  ClusterObserver,
  viewAnswerStaleMs,
  type ViewObservation,
} from "../../src/chaos/observer.js";
import type { BrokerConnection } from "../../src/broker/connection.js";
import { clusterNames } from "../../src/broker/topology.js";
import { pino } from "pino";
import type { ChaosFaults, LossSituation } from "../../src/protocols/chaosSupport.js";
import type { AnyProtocol } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { View } from "../../src/schemas/view.js";
import { Random } from "../../src/sim/random.js";

const pb = protocolNamed("pb");
const servers = ["server-1", "server-2", "server-3"];

const situation = (view: View, overrides: Partial<LossSituation> = {}): LossSituation => ({
  view,
  settled: true,
  latestAnswer: () => null,
  isLive: () => true,
  liveness: () => "up",
  unrecovered: [],
  groupBefore: null,
  ...overrides,
});

describe("pb's chaos fault model", () => {
  const view: View = { viewNum: 4, primary: "server-1", backup: "server-2" };
  const { faults } = pb.chaos;

  it("names a server's role in a view: primary, backup or idle", () => {
    expect(faults.viewRoles).toEqual(["primary", "backup", "idle"]);
    expect(servers.map((server) => faults.roleIn(view, server))).toEqual(["primary", "backup", "idle"]);
  });

  it("lets an idle server go at any time", () => {
    expect(faults.lossVerdict("server-3", situation(view, { settled: false }))).toEqual({ kind: "free" });
  });

  it("counts the loss of the primary, the backup or the view server's connection in a settled view with both live", () => {
    for (const victim of ["server-1", "server-2", "viewserver"])
      expect(faults.lossVerdict(victim, situation(view))).toEqual({ kind: "counted" });
  });

  it("refuses it without a backup, after a loss in this view, before the primary acknowledged, or with a member not live", () => {
    const refusal = (victim: string, s: LossSituation): string => {
      const verdict = faults.lossVerdict(victim, s);
      return verdict.kind === "refused" ? verdict.why : verdict.kind;
    };
    expect(refusal("server-1", situation({ ...view, backup: null }))).toBe("no backup");
    expect(
      refusal("server-2", situation(view, { unrecovered: [{ node: "server-1", viewNum: 4, atEpochMs: 0 }] })),
    ).toBe("a role was lost in view 4 already");
    expect(refusal("server-2", situation(view, { settled: false }))).toBe(
      "not acknowledged by its primary yet",
    );
    const downBackup = situation(view, {
      isLive: (node) => node !== "server-2",
      liveness: () => "crashed, process running",
    });
    expect(refusal("server-1", downBackup)).toBe("server-2 is not live (crashed, process running)");
  });

  it("has recovered from a loss once a later view is settled", () => {
    const loss = { node: "server-1", viewNum: 4, atEpochMs: 0 };
    const now = (viewNum: number, settled: boolean) => ({
      view: { ...view, viewNum },
      settled,
      latestAnswer: () => null,
    });
    expect(faults.recovered(loss, now(4, true))).toBe(false);
    expect(faults.recovered(loss, now(5, false))).toBe(false);
    expect(faults.recovered(loss, now(5, true))).toBe(true);
  });

  it("takes a view up once its primary, of the incarnation the view was made with, acknowledged it", () => {
    const heard = new Set(["server-1|4|77"]);
    const check = (node: string, viewNum: number, incarnation: number | null): boolean =>
      heard.has(`${node}|${viewNum}|${incarnation ?? "*"}`);
    expect(pb.chaos.watch.takenUp({ view, primaryIncarnation: 77 }, check)).toBe(true);
    expect(pb.chaos.watch.takenUp({ view, primaryIncarnation: 78 }, check)).toBe(false);
    expect(pb.chaos.watch.takenUp({ view, primaryIncarnation: null }, check)).toBe(false);
  });

  it("is ready with a primary and a backup", () => {
    expect(pb.broker.ready(view)).toBe(true);
    expect(pb.broker.ready({ ...view, backup: null })).toBe(false);
  });
});

describe("VR's chaos fault model, epochs and reconfigurations among the faults", () => {
  const { faults } = protocolNamed("vr").chaos;
  const epochView = (epoch: number, replicas: string[]): View => ({
    viewNum: 7,
    primary: replicas[0] ?? null,
    backup: null,
    replicas,
    status: "normal",
    epoch,
  });
  const group = ["server-2", "server-3", "server-4"];
  const view = epochView(1, group);
  const answer = (epoch: number, status: string) => ({
    view: { ...epochView(epoch, group), status },
    sentAtEpochMs: 10,
  });
  const refusal = (victim: string, s: LossSituation): string => {
    const verdict = faults.lossVerdict(victim, s);
    return verdict.kind === "refused" ? verdict.why : verdict.kind;
  };

  it("loses only members of the epoch's group: never a spare nor a removed replica", () => {
    expect(refusal("server-3", situation(view))).toBe("counted");
    expect(refusal("server-1", situation(view))).toBe(
      "not a member of epoch 1 (a spare or a removed replica)",
    );
  });

  it("counts a member still fetching the epoch's state, or answering from an earlier epoch, as failed", () => {
    const fetching = situation(view, {
      latestAnswer: (node) => (node === "server-4" ? answer(1, "transitioning") : answer(1, "normal")),
    });
    expect(refusal("server-3", fetching)).toBe("1 of 3 replicas failed (f = 1)");
    const behind = situation(view, {
      latestAnswer: (node) => (node === "server-4" ? answer(0, "normal") : answer(1, "normal")),
    });
    expect(refusal("server-3", behind)).toBe("1 of 3 replicas failed (f = 1)");
    expect(refusal("server-4", behind)).toBe("counted");
  });

  it("keeps the group before a reconfiguration within its f until the new epoch is known to run", () => {
    const before = ["server-1", "server-2", "server-3"];
    const oldView = epochView(0, before);
    const oneOldDown = { isLive: (node: string) => node !== "server-1", groupBefore: before };
    // The view seen is the old epoch's: its group has one failed already.
    expect(refusal("server-2", situation(oldView, oneOldDown))).toBe("1 of 3 replicas failed (f = 1)");
    // The new epoch's view: server-2 is in both groups, the old one has server-1 down.
    expect(refusal("server-2", situation(view, oneOldDown))).toBe("1 of 3 replicas failed (f = 1)");
    // server-4 is new: only its group counts.
    expect(refusal("server-4", situation(view, oneOldDown))).toBe("counted");
    // Once the epoch runs there is no group before.
    expect(refusal("server-2", situation(view, { ...oneOldDown, groupBefore: null }))).toBe("counted");
  });

  it("has recovered from a loss once the replica answers normal again, or is no longer a member", () => {
    const loss = { node: "server-1", viewNum: 5, atEpochMs: 0 };
    const now = (replicas: string[], status: string) => ({
      view: epochView(1, replicas),
      settled: true,
      latestAnswer: () => ({ view: { ...epochView(1, replicas), status }, sentAtEpochMs: 10 }),
    });
    expect(faults.recovered(loss, now(["server-1", "server-2", "server-3"], "recovering"))).toBe(false);
    expect(faults.recovered(loss, now(["server-1", "server-2", "server-3"], "normal"))).toBe(true);
    expect(faults.recovered(loss, now(group, "recovering"))).toBe(true);
  });
});

describe("the view watch's answers", () => {
  const held = {
    from: "server-1",
    view: { viewNum: 5, primary: "server-2", backup: null },
    sentAtEpochMs: 1_000,
  };
  const answer = (from: string, viewNum: number, sentAt: number) => ({
    from,
    sentAt,
    view: { viewNum, primary: "server-2", backup: null },
  });

  it("take the newest statement of one node (pb's view server), whatever its number", () => {
    expect(answerReplaces(null, answer("server-1", 1, 0))).toBe(true);
    expect(answerReplaces(held, answer("server-1", 4, 1_001))).toBe(true);
    expect(answerReplaces(held, answer("server-1", 9, 999))).toBe(false);
  });

  it("take another node's answer when its view is at least as high, a lower one only once the held one is stale", () => {
    expect(answerReplaces(held, answer("server-3", 5, 1_010))).toBe(true);
    expect(answerReplaces(held, answer("server-3", 4, 1_010))).toBe(false);
    expect(answerReplaces(held, answer("server-3", 4, 1_001 + viewAnswerStaleMs))).toBe(true);
  });
});

// ---------------------------------------------------------------- the nemesis with a stand-in cluster

/** A protocol of 2f+1 replicas (f = 1 of 3 here, two at once allowed for the test): roles primary and replica. */
const replicaFaults: ChaosFaults = {
  viewRoles: ["primary", "replica"],
  roleIn: (view, node) => (node === view.primary ? "primary" : "replica"),
  lossVerdict: (victim, s) =>
    s.unrecovered.length >= 2
      ? { kind: "refused", why: `${s.unrecovered.length} replicas down already` }
      : { kind: "counted" },
  recovered: (loss, now) => now.view.viewNum > loss.viewNum,
};
const replicated: AnyProtocol = {
  ...pb,
  name: "replicated",
  chaos: { ...pb.chaos, faults: replicaFaults },
};

interface Stage {
  nemesis: Nemesis;
  notes: string[];
  setView(view: View): void;
  lose(victim: string): Promise<boolean>;
}

function stage(protocol: AnyProtocol, view: View): Stage {
  let observation: ViewObservation = {
    view,
    primaryIncarnation: 1,
    from: "x",
    sentAtEpochMs: 0,
    receivedAtMs: 0,
  };
  const observer = {
    freshView: () => Promise.resolve(observation),
    get view() {
      return observation;
    },
    settled: () => true,
    sincePingMs: () => 0,
    latestAnswer: () => null,
    events: [],
    eventArrivalMs: [],
    eventMark: 0,
  };
  const cluster = {
    servers,
    uncrashable: ["viewserver"],
    addresses: ["viewserver", ...servers],
    options: { protocol },
    observer,
    liveWithinMs: 100,
    isProcessRunning: () => true,
    applyEverywhere: () => Promise.resolve([]),
  } as unknown as ChaosCluster;
  const notes: string[] = [];
  const nemesis = new Nemesis({
    cluster,
    random: new Random(1),
    failureDetectionMs: 1,
    connectionKills: false,
    pauseMs: [1, 2],
    note: (line) => notes.push(line),
  });
  const inner = nemesis as unknown as {
    loseServer(victim: string, what: string, inflict: () => Promise<void>): Promise<void>;
  };
  return {
    nemesis,
    notes,
    setView: (next) => (observation = { ...observation, view: next }),
    lose: async (victim) => {
      let inflicted = false;
      await inner.loseServer(victim, "crash", () => {
        inflicted = true;
        return Promise.resolve();
      });
      return inflicted;
    },
  };
}

describe("the nemesis", () => {
  it("keeps pb's rule: an idle server freely, then one of primary and backup per settled view", async () => {
    const view: View = { viewNum: 4, primary: "server-1", backup: "server-2" };
    const { nemesis, notes, setView, lose } = stage(pb, view);
    expect(await lose("server-3")).toBe(true);
    expect(notes.at(-1)).toBe("crash server-3 (idle in view 4)");
    expect(await lose("server-1")).toBe(true);
    expect(notes.at(-1)).toBe("crash server-1 (primary of view 4 (server-1, server-2))");
    expect(await lose("server-2")).toBe(false);
    expect(notes.at(-1)).toBe(
      "(no crash of server-2, backup of view 4 (server-1, server-2): a role was lost in view 4 already)",
    );
    setView({ viewNum: 5, primary: "server-2", backup: "server-3" });
    expect(await lose("server-3")).toBe(true);
    expect(nemesis.roleLosses).toEqual({ primary: 1, backup: 1, idle: 1, viewserver: 0, clients: 0 });
    expect(nemesis.refused).toBe(1);
  });

  it("counts another protocol's losses under its roles, and asks it before each (two at once here)", async () => {
    const view: View = { viewNum: 2, primary: "server-3", backup: null, replicas: servers, status: "normal" };
    const { nemesis, notes, setView, lose } = stage(replicated, view);
    expect(Object.keys(nemesis.roleLosses)).toEqual(["primary", "replica", "viewserver", "clients"]);
    expect(await lose("server-1")).toBe(true);
    expect(await lose("server-3")).toBe(true);
    expect(await lose("server-2")).toBe(false);
    expect(notes.at(-1)).toMatch(
      /^\(no crash of server-2, replica of view 2 \(primary server-3; replicas .*; normal\): 2 replicas down already\)$/,
    );
    setView({ ...view, viewNum: 3, primary: "server-1" });
    expect(await lose("server-2")).toBe(true);
    expect(nemesis.roleLosses).toMatchObject({ primary: 1, replica: 2 });
  });
});

describe("the chaos observer's view watch", () => {
  /** pb's messages, but every replica answers the view query (as VR's do). */
  const asked = ["server-1", "server-2", "server-3"];
  const replicated: AnyProtocol = {
    ...pb,
    broker: { ...pb.broker, viewQuery: { ...pb.broker.viewQuery, to: () => asked } },
  };

  function observerOf(protocol: AnyProtocol): {
    observer: ClusterObserver;
    reply: (from: string, view: View, sentAt: number) => void;
  } {
    const observer = new ClusterObserver(
      protocol,
      clusterNames("hd-observer"),
      {} as BrokerConnection,
      pino({ level: "silent" }),
    );
    const inner = observer as unknown as { onWatchReply(message: { content: Buffer }): void };
    const reply = (from: string, view: View, sentAt: number): void => {
      const envelope = {
        v: 1,
        id: `r${sentAt}`,
        from,
        to: "client-watch",
        viewNum: 0,
        sentAt,
        body: { type: "ViewReply", view, primaryIncarnation: 1 },
      };
      inner.onWatchReply({ content: Buffer.from(JSON.stringify(envelope)) });
    };
    return { observer, reply };
  }

  const view = (viewNum: number, status: string): View => ({
    viewNum,
    primary: asked[viewNum % 3] ?? null,
    backup: null,
    replicas: asked,
    status,
  });

  it("keeps the highest view, each node's own answer, and counts an answer as a sign of life", () => {
    const { observer, reply } = observerOf(replicated);
    reply("server-1", view(5, "normal"), 1_000);
    reply("server-2", view(4, "recovering"), 1_010);
    expect(observer.view?.view).toEqual(view(5, "normal"));
    expect(observer.latestAnswer("server-2")?.view.status).toBe("recovering");
    expect(observer.latestAnswer("server-3")).toBeNull();
    expect(observer.sincePingMs("server-2")).toBeLessThan(1_000);
    expect(observer.sincePingMs("server-3")).toBe(Infinity);
    reply("server-9", view(9, "normal"), 1_020); // not asked
    expect(observer.view?.view.viewNum).toBe(5);
  });

  it("takes pb's answers from the view server only, and its servers' liveness from their pings alone", () => {
    const { observer, reply } = observerOf(pb);
    const pbView: View = { viewNum: 2, primary: "server-1", backup: "server-2" };
    reply("viewserver", pbView, 1_000);
    reply("server-1", { ...pbView, viewNum: 7 }, 1_001);
    expect(observer.view?.view).toEqual(pbView);
    expect(observer.sincePingMs("server-1")).toBe(Infinity);
  });
});
