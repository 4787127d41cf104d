// The view server's rules (DESIGN §1), one test each, after DSLabs'
// ViewServerTest and MIT's viewservice test_test.go. The view server is driven
// directly: pings in, PingCheckTimer fired by hand, the view read back.
import { describe, expect, it } from "vitest";
import { makeConfig } from "../../src/protocols/pb/config.js";
import { createViewServer, type ViewServerState } from "../../src/protocols/pb/viewServer.js";
import type { View } from "../../src/schemas/view.js";
import type { MessageBody } from "../../src/protocols/pb/messages.js";
import type { Timer } from "../../src/protocols/pb/timers.js";
import { ActorProbe } from "../support/actorProbe.js";

const config = makeConfig();

function newViewServer(): ActorProbe<ViewServerState, MessageBody, Timer> {
  return new ActorProbe(createViewServer(config), "viewserver");
}

/** Ping as `server` acknowledging `viewNum`, in incarnation `incarnation`; returns the view in the reply. */
function ping(
  vs: ActorProbe<ViewServerState, MessageBody, Timer>,
  server: string,
  viewNum: number,
  incarnation = 1,
): View {
  vs.takeSent();
  vs.deliver(server, { type: "Ping", viewNum, incarnation });
  const reply = vs.takeSent().find((s) => s.to === server && s.body.type === "ViewReply");
  if (reply === undefined || reply.body.type !== "ViewReply") throw new Error("no ViewReply to a ping");
  return reply.body.view;
}

function check(vs: ActorProbe<ViewServerState, MessageBody, Timer>): void {
  vs.fire({ type: "PingCheckTimer" });
}

function view(viewNum: number, primary: string | null, backup: string | null): View {
  return { viewNum, primary, backup };
}

/** A live cluster in view 2 = (server-1, server-2), acknowledged. */
function twoServerView(): ActorProbe<ViewServerState, MessageBody, Timer> {
  const vs = newViewServer();
  ping(vs, "server-1", 0);
  ping(vs, "server-1", 1);
  ping(vs, "server-2", 0);
  expect(vs.state.view).toEqual(view(2, "server-1", "server-2"));
  ping(vs, "server-1", 2);
  return vs;
}

describe("view server", () => {
  it("starts in view 0 with no primary and no backup, and arms its check timer", () => {
    const vs = newViewServer();
    expect(vs.state.view).toEqual(view(0, null, null));
    expect(vs.timers).toEqual([{ timer: { type: "PingCheckTimer" }, afterMs: config.pingCheckMs }]);
  });

  it("makes the first pinger primary of view 1 at once (Ping(0))", () => {
    const vs = newViewServer();
    expect(ping(vs, "server-1", 0)).toEqual(view(1, "server-1", null));
  });

  it("adds the next server as backup once the primary acknowledged view 1", () => {
    const vs = newViewServer();
    ping(vs, "server-1", 0);
    ping(vs, "server-1", 1);
    expect(ping(vs, "server-2", 0)).toEqual(view(2, "server-1", "server-2"));
  });

  it("adds a backup that pinged first only when the primary acknowledges", () => {
    const vs = newViewServer();
    ping(vs, "server-1", 0);
    expect(ping(vs, "server-2", 0)).toEqual(view(1, "server-1", null));
    expect(ping(vs, "server-2", 0)).toEqual(view(1, "server-1", null));
    expect(ping(vs, "server-1", 1)).toEqual(view(2, "server-1", "server-2"));
  });

  it("replaces a new backup lost before the primary acknowledged its view, keeping the primary", () => {
    const vs = twoServerView();
    ping(vs, "server-3", 0);
    check(vs); // everyone pinged since the start
    ping(vs, "server-2", 2);
    ping(vs, "server-3", 2);
    check(vs); // server-1 silent for a whole interval: dead
    expect(vs.state.view).toEqual(view(3, "server-2", "server-3"));
    // server-3 dies before server-2's transfer lands: server-2 can never
    // acknowledge view 3, so waiting for it would wait forever.
    ping(vs, "server-2", 2);
    ping(vs, "server-4", 0);
    expect(vs.state.view).toEqual(view(3, "server-2", "server-3"));
    check(vs); // server-3 silent for a whole interval: dead
    expect(vs.state.view).toEqual(view(4, "server-2", "server-4"));
    expect(vs.state.primaryAcked).toBe(false);
  });

  it("makes no other change until the primary acknowledges the current view", () => {
    const vs = newViewServer();
    ping(vs, "server-1", 0);
    ping(vs, "server-1", 1);
    ping(vs, "server-2", 0); // view 2 (server-1, server-2), not acknowledged
    // Both alive: an idle server does not replace the backup.
    ping(vs, "server-3", 0);
    ping(vs, "server-1", 1);
    ping(vs, "server-2", 2);
    check(vs);
    expect(vs.state.view).toEqual(view(2, "server-1", "server-2"));
    // The primary silent: its backup may not hold the state yet, so it is not promoted.
    for (let i = 0; i < 3; i++) {
      ping(vs, "server-2", 2);
      ping(vs, "server-3", 0);
      check(vs);
    }
    expect(vs.state.view).toEqual(view(2, "server-1", "server-2"));
  });

  it("lets the backup take over after two silent checks of the primary", () => {
    const vs = twoServerView();
    check(vs); // the first check after the primary's last ping still sees it
    ping(vs, "server-2", 2);
    expect(vs.state.view.viewNum).toBe(2);
    check(vs); // the second check finds no ping since the first
    expect(vs.state.view).toEqual(view(3, "server-2", null));
  });

  it("promotes the backup and fills the backup slot from the idle pool in one change", () => {
    const vs = twoServerView();
    ping(vs, "server-3", 0);
    check(vs);
    ping(vs, "server-2", 2);
    ping(vs, "server-3", 0);
    check(vs);
    expect(vs.state.view).toEqual(view(3, "server-2", "server-3"));
  });

  it("takes an old primary back, after its restart, as backup", () => {
    const vs = twoServerView();
    check(vs);
    ping(vs, "server-2", 2);
    check(vs);
    expect(vs.state.view).toEqual(view(3, "server-2", null));
    ping(vs, "server-1", 0, 2); // restarted: a new incarnation
    expect(vs.state.view.viewNum).toBe(3); // server-2 has not acknowledged view 3
    expect(ping(vs, "server-2", 3)).toEqual(view(4, "server-2", "server-1"));
  });

  it("treats a Ping(0) from the current primary as a restart and promotes the backup", () => {
    const vs = twoServerView();
    ping(vs, "server-3", 0);
    expect(ping(vs, "server-1", 0, 2)).toEqual(view(3, "server-2", "server-3"));
  });

  it("treats a Ping(0) from the current backup as a restart and replaces it", () => {
    const vs = twoServerView();
    ping(vs, "server-3", 0);
    expect(ping(vs, "server-2", 0, 2)).toEqual(view(3, "server-1", "server-3"));
  });

  it("does not mistake a primary that has not learned its view (same incarnation) for a restart", () => {
    const vs = newViewServer();
    ping(vs, "server-1", 0); // view 1, its reply lost
    expect(ping(vs, "server-1", 0)).toEqual(view(1, "server-1", null));
    expect(vs.state.primaryIncarnation).toBe(1);
  });

  it("removes a dead backup", () => {
    const vs = twoServerView();
    check(vs);
    ping(vs, "server-1", 2);
    check(vs);
    expect(vs.state.view).toEqual(view(3, "server-1", null));
  });

  it("never promotes a backup that may not hold the state (view not acknowledged)", () => {
    const vs = newViewServer();
    ping(vs, "server-1", 0);
    ping(vs, "server-1", 1);
    ping(vs, "server-2", 0); // view 2 (server-1, server-2), not acknowledged
    expect(vs.state.view).toEqual(view(2, "server-1", "server-2"));
    for (let i = 0; i < 5; i++) {
      ping(vs, "server-2", 2);
      check(vs);
    }
    expect(vs.state.view).toEqual(view(2, "server-1", "server-2"));
  });

  it("never chooses an idle server that has not pinged since the last check", () => {
    const vs = twoServerView();
    ping(vs, "server-3", 0); // idle, then silent: it may have crashed
    check(vs);
    ping(vs, "server-1", 2);
    // The backup restarts: its slot is not given to the silent server-3.
    expect(ping(vs, "server-2", 0, 2)).toEqual(view(3, "server-1", null));
    // Once the restarted process pinged (since the check), it may be picked.
    expect(ping(vs, "server-1", 3)).toEqual(view(4, "server-1", "server-2"));
  });

  it("never chooses a dead idle server as backup", () => {
    const vs = newViewServer();
    ping(vs, "server-1", 0);
    ping(vs, "server-3", 0); // idle, then silent
    check(vs);
    ping(vs, "server-1", 0);
    check(vs); // server-3 dead
    expect(ping(vs, "server-1", 1)).toEqual(view(1, "server-1", null));
  });

  it("never bumps the view number without a change of configuration", () => {
    const vs = twoServerView();
    for (let i = 0; i < 10; i++) {
      ping(vs, "server-1", 2);
      ping(vs, "server-2", 2);
      check(vs);
    }
    expect(vs.state.view).toEqual(view(2, "server-1", "server-2"));
    expect(vs.events.filter((e) => e.type === "viewChanged")).toHaveLength(2);
  });

  it("answers GetView without counting it as a ping", () => {
    const vs = twoServerView();
    check(vs);
    vs.takeSent();
    vs.deliver("server-1", { type: "GetView" });
    expect(vs.takeSent()).toEqual([
      {
        to: "server-1",
        viewNum: 2,
        body: { type: "ViewReply", view: view(2, "server-1", "server-2"), primaryIncarnation: 1 },
      },
    ]);
    ping(vs, "server-2", 2);
    check(vs);
    expect(vs.state.view).toEqual(view(3, "server-2", null));
  });

  it("stays without a primary when the primary dies with no backup (it never guesses)", () => {
    const vs = newViewServer();
    ping(vs, "server-1", 0);
    ping(vs, "server-1", 1);
    check(vs);
    check(vs); // server-1 dead, no backup to promote
    ping(vs, "server-2", 0); // an empty server arrives: it must not become primary
    check(vs);
    ping(vs, "server-2", 0);
    expect(vs.state.view).toEqual(view(1, "server-1", null));
  });

  it("says why it changed each view: first pinger, joins, silence, restarts, promotion", () => {
    const vs = newViewServer();
    const reasons = (): (string | undefined)[] =>
      vs.events.flatMap((event) => (event.type === "viewChanged" ? [event.reason] : []));
    ping(vs, "server-1", 0);
    ping(vs, "server-1", 1);
    ping(vs, "server-2", 0); // view 2: joins
    ping(vs, "server-1", 2);
    ping(vs, "server-2", 2);
    ping(vs, "server-2", 0, 2); // view 3: the backup restarted (new incarnation)
    expect(vs.state.view).toEqual(view(3, "server-1", null));
    ping(vs, "server-1", 3);
    ping(vs, "server-3", 0); // view 4: the restarted server-2 (smallest address) joins as backup
    ping(vs, "server-1", 4);
    check(vs);
    ping(vs, "server-2", 4, 2);
    ping(vs, "server-3", 4);
    check(vs); // view 5: server-1 silent, server-2 promoted, server-3 the new backup
    expect(vs.state.view).toEqual(view(5, "server-2", "server-3"));
    expect(reasons()).toEqual([
      "server-1 pinged first",
      "server-2 joined as backup",
      "backup server-2 restarted; no idle server to be backup",
      "server-2 joined as backup",
      `primary server-1 silent for a whole ${config.pingCheckMs} ms check; backup server-2 promoted; server-3 is the new backup`,
    ]);
  });
});
