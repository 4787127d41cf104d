import { applyEntry, copyApp } from "../../kv/atMostOnce.js";
import type { Mutation, ProtocolConfig } from "./config.js";
import type { ServerDecisions } from "./server.js";
import { startOutgoing } from "../../kv/transfer.js";
import type { ViewServerDecisions } from "./viewServer.js";

// Planted bugs (`--mutant`, ProtocolConfig.mutations) kept out of the
// protocol's code: each replaces one of the decisions of the view server
// (ViewServerDecisions) or of the server (ServerDecisions) by a wrong one, so
// viewServer.ts and server.ts read as the correct protocol and the bugs read
// here. Each actor resolves its decisions once, when it is created. The model
// checker's table of which search catches each one is search/mutants.ts.

const viewServerBugs: Readonly<Partial<Record<Mutation, Partial<ViewServerDecisions>>>> = {
  // A primary that restarted (and lost its state) is kept because it pings again.
  ignorePrimaryRestart: {
    primaryUp: (state, holds) =>
      holds || (state.view.primary !== null && state.servers.has(state.view.primary)),
  },
  // The backup is promoted before the primary acknowledged the view (it may have no state).
  ignoreAckRule: {
    whileUnacknowledged: (_state, primaryUp, moves) => {
      if (!primaryUp) return false;
      moves.replaceLostNewBackup();
      return true;
    },
  },
  // The ack rule without its exception: a lost new backup leaves the view server waiting forever.
  waitForLostBackup: { whileUnacknowledged: () => true },
  // With primary and backup lost, an idle server without the data becomes primary.
  promoteIdleServer: {
    bothLost: (state, moves) => {
      const idle = moves.pickIdle([state.view.primary, state.view.backup]);
      if (idle !== null)
        moves.changeView(idle, null, [moves.lost("primary", state.view.primary), `${idle} promoted`]);
    },
  },
  // A new view number with the same primary and no backup.
  bumpWithoutChange: {
    noBackupAvailable: (state, moves) =>
      moves.changeView(state.view.primary, null, "planted bug: a new view number, nothing changed"),
  },
};

const serverBugs: Readonly<Partial<Record<Mutation, Partial<ServerDecisions>>>> = {
  // A backup holding the state answers as if it were primary.
  nonPrimaryServes: {
    requestToNonPrimary: (state, request, client, ctx, moves) => {
      if (state.role !== "backup" || state.app === null) return false;
      const entry = moves.opEntry(state, state.app, client, request, ctx);
      moves.answer(state, entry, applyEntry(state.app, entry), ctx);
      return true;
    },
  },
  // A read answered from the primary's own store, without the backup (stale once it is replaced).
  fastReads: {
    readAtPrimary: (state, app, request, client, ctx, moves) => {
      if (!state.transferAcked || request.op.f !== "get") return false;
      const value = app.store.get(request.op.key) ?? "";
      moves.reply(state, client, request.seq, request.op, { ok: true, value }, ctx);
      return true;
    },
  },
  // A backup takes forwards from any primary of any view.
  backupAcceptsAnyView: { acceptsForward: (state) => state.role === "backup" },
  // A batch applied as it arrives, ignoring a gap before it.
  applyForwardsOnArrival: {
    applyForward: (_state, app, forward) => {
      const fresh = forward.entries.slice(Math.max(0, app.applied + 1 - forward.firstIndex));
      for (const entry of fresh) applyEntry(app, entry);
    },
  },
  // Acks of a process restarted under the backup's name count.
  acksWithoutIncarnation: { acceptsForwardAck: () => true },
  // The client is answered from a copy of the state as if the backup had acked, and not again.
  replyBeforeBackupAck: {
    queued: (state, app, entry, ctx, moves) =>
      moves.answer(state, entry, applyEntry(copyApp(app), entry), ctx),
    backedUp: () => {},
  },
  // A duplicate chunk after the install starts the transfer over, rolling back forwards applied since.
  transferOverwritesForwards: {
    chunkAfterInstall: (state) => {
      state.app = null;
      state.incoming = null;
    },
  },
  // The sessions travel with no record of their last write: the new backup would run a retried write again.
  transferWithoutAtMostOnce: {
    snapshot: (app) => {
      const outgoing = startOutgoing(app);
      outgoing.table = outgoing.table.map(([client, session]) => [
        client,
        { ...session, seq: 0, refused: false, answer: "" },
      ]);
      return outgoing;
    },
  },
  // Operations run alone, unforwarded, while the backup is being filled.
  serveDuringTransfer: { servesAlone: (state) => state.view.backup === null || !state.transferAcked },
};

/** The view server's decisions the configuration's planted bugs replace (none in a real run). */
export function plantedViewServerBugs(config: ProtocolConfig): Partial<ViewServerDecisions> {
  return planted(viewServerBugs, config);
}

/** The server's decisions the configuration's planted bugs replace (none in a real run). */
export function plantedServerBugs(config: ProtocolConfig): Partial<ServerDecisions> {
  return planted(serverBugs, config);
}

function planted<Decisions>(
  bugs: Readonly<Partial<Record<Mutation, Partial<Decisions>>>>,
  config: ProtocolConfig,
): Partial<Decisions> {
  let replaced: Partial<Decisions> = {};
  for (const mutation of config.mutations) replaced = { ...replaced, ...bugs[mutation] };
  return replaced;
}
