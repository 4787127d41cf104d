import type { ProtocolConfig } from "./config.js";
import type { ViewServerDecisions } from "./viewServer.js";

// Planted bugs (`--mutant`, ProtocolConfig.mutations) kept out of the
// protocol's code: each replaces one of the view server's decisions
// (ViewServerDecisions) by a wrong one, so viewServer.ts reads as the correct
// protocol and the bugs read here. The model checker's table of which search
// catches each one is search/mutants.ts. (The servers' and clients' planted
// bugs are still `hasMutation` branches in server.ts and client.ts.)

const viewServerBugs: Readonly<Record<string, Partial<ViewServerDecisions>>> = {
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

/** The view server's decisions the configuration's planted bugs replace (none in a real run). */
export function plantedViewServerBugs(config: ProtocolConfig): Partial<ViewServerDecisions> {
  let bugs: Partial<ViewServerDecisions> = {};
  for (const mutation of config.mutations) bugs = { ...bugs, ...viewServerBugs[mutation] };
  return bugs;
}
