// A VR replica driven by hand one message at a time: the primary's resends, a backup's catch-up.
import { describe, expect, it } from "vitest";
import { makeVrConfig } from "../../src/protocols/vr/config.js";
import type { VrMessage } from "../../src/protocols/vr/messages.js";
import { createReplica } from "../../src/protocols/vr/replica.js";
import type { ReplicaState } from "../../src/protocols/vr/state.js";
import { ActorProbe } from "../support/actorProbe.js";

const config = makeVrConfig();

/**
 * A replica of three, normal in view 0 (recovery skipped: a fresh group has
 * nothing to recover): server-1 is its primary, server-2 and server-3 backups.
 */
function normalReplica(address: "server-1" | "server-2"): ActorProbe<ReplicaState, VrMessage> {
  const replica = new ActorProbe(createReplica(config), address);
  replica.state.status = "normal";
  replica.state.recoveryResponses = [];
  replica.takeSent();
  return replica;
}

/** A register entry of op `n` (its client `client-<n>`). */
const entry = (n: number) => ({ type: "register" as const, client: `client-${n}`, seq: 1, atMs: n });
const prepare = (firstOp: number, count: number) => ({
  type: "Prepare" as const,
  epoch: 0,
  firstOp,
  entries: Array.from({ length: count }, (_, index) => entry(firstOp + index)),
  commitNumber: 0,
});

const prepareTargets = (primary: ActorProbe<ReplicaState, VrMessage>): string[] =>
  primary.sentOfType("Prepare").map((sent) => sent.to);

describe("VR replica", () => {
  it("resends a Prepare only once it stayed unacknowledged across a whole tick", () => {
    const primary = normalReplica("server-1");
    primary.fire({ type: "Tick" }); // a tick with nothing in flight
    primary.takeSent();
    primary.deliver("client-a", { type: "RegisterClient", seq: 1 });
    expect(prepareTargets(primary)).toEqual(["server-2", "server-3"]);
    primary.takeSent();
    // The tick right after: the Prepare left a moment ago, no copy.
    primary.fire({ type: "Tick" });
    expect(prepareTargets(primary)).toEqual([]);
    // A whole tick later it is still unacknowledged (lost, say): sent again to both.
    primary.fire({ type: "Tick" });
    expect(prepareTargets(primary)).toEqual(["server-2", "server-3"]);
    primary.takeSent();
    // server-2 acknowledges: a quorum holds it, it commits and is answered; ticks now send Commits.
    primary.deliver("server-2", { type: "PrepareOK", epoch: 0, opNumber: 1 });
    expect(primary.sentOfType("RegisterReply").map((sent) => sent.to)).toEqual(["client-a"]);
    primary.takeSent();
    primary.fire({ type: "Tick" });
    expect(prepareTargets(primary)).toEqual([]);
    expect(primary.sentOfType("Commit").map((sent) => sent.to)).toEqual(["server-2", "server-3"]);
  });

  it("a backup whose catch-up answer starts behind what a late Prepare gave it asks again at once", () => {
    const backup = normalReplica("server-2");
    backup.deliver("server-1", prepare(1, 1));
    // Op 3 overtook op 2: a gap, so it fetches after op 1.
    backup.deliver("server-1", prepare(3, 1));
    expect(backup.sentOfType("GetState").map((sent) => sent.body.after)).toEqual([1]);
    backup.takeSent();
    // The late op 2 arrives and is taken; then the answer to the fetch, from op 1 on.
    backup.deliver("server-1", prepare(2, 1));
    expect(backup.state.opNumber).toBe(2);
    backup.takeSent();
    backup.deliver("server-1", {
      type: "NewState",
      epoch: 0,
      upTo: 3,
      commitNumber: 0,
      complete: true,
      after: 1,
      entries: [entry(2), entry(3)],
    });
    // It holds op 2 now: it asks for what follows, without waiting two ticks.
    expect(backup.sentOfType("GetState").map((sent) => sent.body.after)).toEqual([2]);
  });
});
