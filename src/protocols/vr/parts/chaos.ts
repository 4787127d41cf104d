import type { Address } from "../../../schemas/address.js";
import type { View } from "../../../schemas/view.js";
import type {
  ChaosFaults,
  ChaosSupport,
  HostileInput,
  HostileMessage,
  InvalidBody,
  LossSituation,
} from "../../chaosSupport.js";
import type { VrMessage } from "../messages.js";
import { vrBroker } from "./broker.js";

// VR under chaos on the real broker. Its hard partition cuts the primary off
// from every backup (it must stop answering, and the others move on). The
// hostile messages never forge what the protocol trusts (a real replica's
// messages of the current view): that would be a Byzantine fault.

const ghostReplica = "server-913";

const replicas = (input: HostileInput): Address[] =>
  input.nodes.filter((node) => node.role === "replica").map((node) => node.address);

function hostileToNodes(input: HostileInput): HostileMessage[] {
  const { marker, random } = input;
  const future = 1_000_000_000 + random.int(1000);
  const target = random.pick(replicas(input));
  const real = random.pick(replicas(input));
  const entry = {
    type: "op" as const,
    client: "client-ghost",
    session: 1,
    seq: 1,
    op: { f: "put" as const, key: "ghost", value: marker },
    atMs: 0,
  };
  // A NewState of view 0 is stale only once the group is past view 0: a replica recovering in view 0
  // fetches that view, and one "from" its source would be a forged current-view answer, which no
  // protocol refuses (fetch.ts refuses earlier views; test/sim/vrStaleFetchAnswer.test.ts). A fetch of
  // view 0 may outlive view 1's start, so a real sender waits for view 2; before, the ghost sends it.
  const staleSender = (input.view?.viewNum ?? 0) >= 2 ? real : ghostReplica;
  const hostile = (kind: string, from: Address, viewNum: number, body: VrMessage): HostileMessage => ({
    kind,
    from,
    to: target,
    viewNum,
    body,
  });
  return [
    hostile("prepare-from-a-ghost", ghostReplica, future, {
      type: "Prepare",
      epoch: 0,
      firstOp: 1,
      entries: [entry],
      commitNumber: 1,
    }),
    hostile("prepare-of-a-future-view", real, future, {
      type: "Prepare",
      epoch: 0,
      firstOp: 1,
      entries: [entry],
      commitNumber: 0,
    }),
    hostile("start-view-change-from-a-client", `client-garbage${random.int(1e6)}`, future, {
      type: "StartViewChange",
      epoch: 0,
    }),
    hostile("recovery-response-never-asked", real, 0, {
      type: "RecoveryResponse",
      epoch: 0,
      nonce: random.int(2 ** 32),
      recovering: false,
      members: [0, 1, 2],
      epochStart: { op: 0, view: 0, oldMembers: [] },
      pending: false,
    }),
    hostile("new-state-never-asked", staleSender, 0, {
      type: "NewState",
      epoch: 0,
      upTo: 1,
      commitNumber: 1,
      complete: true,
      after: 0,
      entries: [entry],
    }),
  ];
}

function hostileToClient(input: HostileInput, client: Address): HostileMessage {
  const from = input.random.pick(replicas(input));
  const body: VrMessage = { type: "Reply", seq: 1_000_000, result: { ok: true, value: input.marker } };
  return { kind: "reply-never-asked", from, to: client, viewNum: input.view?.viewNum ?? 0, body };
}

function invalidBodies(marker: string): InvalidBody[] {
  return [
    {
      kind: "prepare-empty",
      body: () => ({ type: "Prepare", epoch: 0, firstOp: 1, entries: [], commitNumber: 0 }),
    },
    {
      kind: "prepare-op-zero",
      body: () => ({
        type: "Prepare",
        epoch: 0,
        firstOp: 0,
        entries: [{ type: "expire", beforeMs: 0, atMs: 0 }],
        commitNumber: 0,
      }),
    },
    { kind: "nonce-negative", body: () => ({ type: "Recovery", epoch: 0, nonce: -1 }) },
    {
      kind: "reconfigure-to-nobody",
      body: () => ({ type: "Reconfigure", seq: 1, epoch: 0, members: [] }),
    },
    {
      kind: "request-bad-op",
      body: () => ({ type: "Request", session: 1, seq: 1, op: { f: "drop", key: marker } }),
    },
  ];
}

/**
 * The replica holds no state of the group's epoch as the observer sees it:
 * not live, or its own latest answer says it is recovering; with `epoch`
 * (the group that runs it), also an answer of an earlier epoch or of a
 * member still fetching its state (transitioning), as the simulator's VrFaultModel.
 */
function failed(node: Address, situation: LossSituation, epoch: number | null): boolean {
  if (!situation.isLive(node)) return true;
  const answer = situation.latestAnswer(node)?.view;
  if (answer?.status === "recovering") return true;
  if (epoch === null || answer === undefined) return false;
  return (answer.epoch ?? 0) < epoch || answer.status === "transitioning";
}

/** Why losing `victim` would fail more than f of `group` (f of its size), or null. */
function beyondBound(
  victim: Address,
  group: readonly Address[],
  situation: LossSituation,
  epoch: number | null,
): string | null {
  const tolerated = Math.floor((group.length - 1) / 2);
  const down = new Set(situation.unrecovered.map((loss) => loss.node).filter((node) => group.includes(node)));
  for (const node of group) if (failed(node, situation, epoch)) down.add(node);
  down.delete(victim);
  return down.size + 1 > tolerated
    ? `${down.size} of ${group.length} replicas failed (f = ${tolerated})`
    : null;
}

/**
 * VR survives any f of its 2f+1 replicas failed, the primary included (as
 * the simulator's VrFaultModel): a loss is refused while f others of the
 * epoch's group are failed or not yet recovered from, and, while a
 * reconfiguration is not known to run, f others of the group before it
 * (the new members fetch from it). Only members are lost: a spare or a
 * removed replica is never crashed (a reconfiguration may name it next; a
 * removed one serves the new members' fetches). A lost replica has
 * recovered once it answered, after its loss, as normal in the view it was
 * lost in or a later one, or once it is no longer a member.
 */
const vrChaosFaults: ChaosFaults = {
  viewRoles: ["primary", "backup"],
  roleIn: (view, node) => (node === view.primary ? "primary" : "backup"),
  lossVerdict(victim, situation) {
    const { view } = situation;
    const members = view.replicas ?? [];
    if (!members.includes(victim))
      return {
        kind: "refused",
        why: `not a member of epoch ${view.epoch ?? 0} (a spare or a removed replica)`,
      };
    if (!situation.settled) return { kind: "refused", why: "the view is not settled" };
    const why =
      beyondBound(victim, members, situation, view.epoch ?? 0) ??
      (situation.groupBefore?.includes(victim) === true
        ? beyondBound(victim, situation.groupBefore, situation, null)
        : null);
    if (why !== null) return { kind: "refused", why };
    return { kind: "counted" };
  },
  recovered(loss, now) {
    if (!(now.view.replicas ?? []).includes(loss.node)) return true;
    const answer = now.latestAnswer(loss.node);
    return (
      answer !== null &&
      answer.sentAtEpochMs > loss.atEpochMs &&
      answer.view.status === "normal" &&
      answer.view.viewNum >= loss.viewNum
    );
  },
};

export const vrChaos: ChaosSupport = {
  faults: vrChaosFaults,
  watch: {
    tapped: [],
    heartbeat: () => null,
    report: (body) => {
      const view = vrBroker.viewQuery.viewOf(body);
      return view === null ? null : { view, primaryIncarnation: null };
    },
    // No heartbeat is tapped yet: a normal view is taken up as reported.
    takenUp: (report) => report.view.status === "normal",
  },
  // The primary cut off from every backup, its clients still reaching it: it must never answer them again.
  partition: (view: View) =>
    view.primary === null
      ? null
      : { isolated: view.primary, from: (view.replicas ?? []).filter((node) => node !== view.primary) },
  nodeName: (address) => address,
  hostileToNodes,
  hostileToClient,
  harmlessBody: { type: "GetView" },
  invalidBodies,
};
