import { type Address, viewServerAddress } from "../../../schemas/address.js";
import type { World } from "../../../search/engine.js";
import type { NamedPredicate } from "../../../search/scenario.js";
export { allClientsDone, and, clientBusy, clientCompleted, not } from "../../../search/predicates.js";
import { clientCompleted } from "../../../search/predicates.js";
import type { SearchState } from "../../../search/state.js";
import type { ClientState } from "../client.js";
import { isReadyPrimary, type ServerState } from "../server.js";
import type { ViewServerState } from "../viewServer.js";

// Goals and prunes the scenarios are built from (DSLabs' StatePredicates).

/**
 * Stand-ins for the servers a directed phase is about, resolved when the
 * phase starts (which server is primary depends on which pinged first):
 * the primary and the backup of the view server's view in its start state.
 */
export const startPrimaryRef = "@start-primary";
export const startBackupRef = "@start-backup";

/** A stand-in's server in a state, through `stateOf` (SearchSupport.standIn); null for a name that is none. */
export function resolveStandIn(name: string, stateOf: (address: Address) => unknown): Address | null {
  if (name !== startPrimaryRef && name !== startBackupRef) return null;
  const view = (stateOf(viewServerAddress) as ViewServerState | null)?.view;
  return (name === startPrimaryRef ? view?.primary : view?.backup) ?? name;
}

export function viewServerOf(world: World, state: SearchState): ViewServerState | null {
  return world.stateOf(state, viewServerAddress) as ViewServerState | null;
}

/** A server's state (null: down, or no server by that name). */
export function serverOf(world: World, state: SearchState, address: Address): ServerState | null {
  return world.roleOf(address) === "server" ? (world.stateOf(state, address) as ServerState | null) : null;
}

export function clientOf(world: World, state: SearchState, address: Address): ClientState | null {
  return world.roleOf(address) === "client" ? (world.stateOf(state, address) as ClientState | null) : null;
}

/** The view server's view has a primary and a backup, the primary acknowledged it, and the backup holds the state. */
export const fullViewSettled: NamedPredicate = {
  name: "a full view is acknowledged and its backup installed",
  test: (world, state) => {
    const viewServer = viewServerOf(world, state);
    if (viewServer === null || !viewServer.primaryAcked) return false;
    const { view } = viewServer;
    if (view.primary === null || view.backup === null) return false;
    const primary = serverOf(world, state, view.primary);
    const backup = serverOf(world, state, view.backup);
    return (
      primary !== null &&
      backup !== null &&
      isReadyPrimary(primary) &&
      primary.view.viewNum === view.viewNum &&
      backup.role === "backup" &&
      backup.app !== null &&
      backup.view.viewNum === view.viewNum
    );
  },
};

/** A server, ready as primary of the view server's current view (and its backup, if any, installed). */
export function readyPrimaryIn(viewNumMin: number): NamedPredicate {
  return {
    name: `a primary of view ${viewNumMin} or later is ready and acknowledged`,
    test: (world, state) => {
      const viewServer = viewServerOf(world, state);
      if (viewServer === null || viewServer.view.viewNum < viewNumMin || viewServer.view.primary === null)
        return false;
      const primary = serverOf(world, state, viewServer.view.primary);
      return (
        viewServer.primaryAcked &&
        primary !== null &&
        isReadyPrimary(primary) &&
        primary.view.viewNum === viewServer.view.viewNum
      );
    },
  };
}

export function viewNumAbove(viewNumMax: number): NamedPredicate {
  return {
    name: `view number above ${viewNumMax}`,
    test: (world, state) => (viewServerOf(world, state)?.view.viewNum ?? 0) > viewNumMax,
  };
}

/** The view number rose more than `increase` above the phase's start: bounds view churn relative to where a phase begins. */
export function viewNumRoseAbove(increase: number): NamedPredicate {
  return {
    name: `view number more than ${increase} above the phase's start`,
    test: (world, state, start) =>
      (viewServerOf(world, state)?.view.viewNum ?? 0) >
      (viewServerOf(world, start)?.view.viewNum ?? 0) + increase,
  };
}

/**
 * Some backup holds a client operation that arrived ahead of a gap (forwards
 * reached it out of order), every client's session being open: the reorder
 * is among operations, not among the sessions opened before them.
 */
export const backupBufferedForwards: NamedPredicate = {
  name: "a backup buffered a forwarded operation that overtook an earlier one",
  test: (world, state) =>
    world
      .nodesWithRole("client")
      .every((node) => clientOf(world, state, world.nodes[node]!.address)?.session != null) &&
    world.nodesWithRole("server").some((node) => {
      const server = serverOf(world, state, world.nodes[node]!.address);
      if (server === null || server.role !== "backup") return false;
      for (const entry of server.buffered.values()) if (entry.type === "op") return true;
      return false;
    }),
};

/** The client still waits for its operation `seq`, which the view's primary and backup have both executed. */
export function executedNotAnswered(client: string, seq: number): NamedPredicate {
  const executed = (app: { lastByClient: ReadonlyMap<string, { seq: number }> } | null): boolean =>
    app !== null && (app.lastByClient.get(client)?.seq ?? 0) >= seq;
  return {
    name: `${client}'s operation #${seq} executed by primary and backup, the client still waiting`,
    test: (world, state) => {
      const clientState = clientOf(world, state, client);
      const view = viewServerOf(world, state)?.view;
      if (clientState?.current?.seq !== seq || view?.primary == null || view.backup === null) return false;
      return (
        executed(serverOf(world, state, view.primary)?.app ?? null) &&
        executed(serverOf(world, state, view.backup)?.app ?? null)
      );
    },
  };
}

/** The client still waits for its operation `seq`. */
export function clientWaiting(client: string, seq: number): NamedPredicate {
  return {
    name: `${client} still waits for #${seq}`,
    test: (world, state) => clientOf(world, state, client)?.current?.seq === seq,
  };
}

/** The backup of the phase's start view is now primary of a full, acknowledged, installed view. */
export const failedOverToStartBackup: NamedPredicate = {
  name: "the start view's backup is primary of a settled full view",
  test: (world, state, start) => {
    const startBackup = viewServerOf(world, start)?.view.backup ?? null;
    return (
      startBackup !== null &&
      viewServerOf(world, state)?.view.primary === startBackup &&
      fullViewSettled.test(world, state, start)
    );
  },
};

/** The primary of the phase's start view crashed, restarted, and its new incarnation's ping reached the view server. */
export const startPrimaryRestarted: NamedPredicate = {
  name: "the start view's primary restarted and pinged the view server",
  test: (world, state, start) => {
    const primary = viewServerOf(world, start)?.view.primary ?? null;
    if (primary === null) return false;
    const node = world.nodeIndex.get(primary)!;
    const slot = state.slots[node]!;
    const server = serverOf(world, state, primary);
    const record = viewServerOf(world, state)?.servers.get(primary);
    return slot.life > 0 && server !== null && record?.incarnation === server.incarnation;
  },
};

/** The backup of the phase's start view crashed and restarted, and the view server has not heard from its new life. */
export const startBackupRestartedUnnoticed: NamedPredicate = {
  name: "the start view's backup restarted, unnoticed by the view server",
  test: (world, state, start) => {
    const backup = viewServerOf(world, start)?.view.backup ?? null;
    if (backup === null) return false;
    const slot = state.slots[world.nodeIndex.get(backup)!]!;
    const server = serverOf(world, state, backup);
    const record = viewServerOf(world, state)?.servers.get(backup);
    return (
      slot.life > 0 && server !== null && record !== undefined && record.incarnation !== server.incarnation
    );
  },
};

/** The client waits for the answer to an operation sent in its session (opened). */
export function clientInSession(client: Address): NamedPredicate {
  return {
    name: `${client} waits for an operation sent in its open session`,
    test: (world, state) => {
      const clientState = clientOf(world, state, client);
      return clientState !== null && clientState.current !== null && clientState.session !== null;
    },
  };
}

/** The start view's backup is now the ready, acknowledged primary of the view server's view (backup or not). */
export const startBackupPromoted: NamedPredicate = {
  name: "the start view's backup is the ready, acknowledged primary",
  test: (world, state, start) => {
    const startBackup = viewServerOf(world, start)?.view.backup ?? null;
    return (
      startBackup !== null &&
      viewServerOf(world, state)?.view.primary === startBackup &&
      readyPrimaryIn(0).test(world, state, start)
    );
  },
};

/** The primary of the phase's start view is down (crashed, not restarted). */
export const startPrimaryDown: NamedPredicate = {
  name: "the start view's primary is down",
  test: (world, state, start) => {
    const primary = viewServerOf(world, start)?.view.primary ?? null;
    return primary !== null && state.slots[world.nodeIndex.get(primary)!]!.state === null;
  },
};

/**
 * Every operation outstanding in the phase's start state has been answered:
 * the liveness promise for a recovery phase that lets no new operation start,
 * so that two clients with several operations each stay within a BFS.
 */
export const outstandingOperationsDone: NamedPredicate = {
  name: "every operation outstanding at the phase's start was answered",
  test: (world, state, start) =>
    world.clientNodes.every((node) => {
      const address = world.nodes[node]!.address;
      const seq = clientOf(world, start, address)?.current?.seq;
      return seq === undefined || clientCompleted(address, seq).test(world, state, start);
    }),
};

/** The client waits for an answer from a primary the view server has replaced: it must find the new one. */
export function clientPrimaryStale(client: Address): NamedPredicate {
  return {
    name: `${client} waits on a replaced primary`,
    test: (world, state) => {
      const clientState = clientOf(world, state, client);
      const known = clientState?.view?.primary ?? null;
      return (
        clientState?.current != null &&
        known !== null &&
        known !== (viewServerOf(world, state)?.view.primary ?? null)
      );
    },
  };
}

/** Some server still acts as the ready primary of a view older than the view server's: it has not heard it was replaced. */
export const stalePrimaryServing: NamedPredicate = {
  name: "a replaced primary still acts as ready primary of its old view",
  test: (world, state) => {
    const current = viewServerOf(world, state)?.view;
    if (current === undefined) return false;
    return world.nodesWithRole("server").some((node) => {
      const address = world.nodes[node]!.address;
      const server = serverOf(world, state, address);
      return (
        server !== null &&
        address !== current.primary &&
        isReadyPrimary(server) &&
        server.view.viewNum < current.viewNum
      );
    });
  },
};

/** The primary in the client's cached view is now the installed backup of the view server's view. */
export function clientPrimaryIsBackup(client: Address): NamedPredicate {
  return {
    name: `${client}'s cached primary is now the installed backup`,
    test: (world, state) => {
      const known = clientOf(world, state, client)?.view?.primary ?? null;
      const view = viewServerOf(world, state)?.view;
      if (known === null || view === undefined || view.backup !== known) return false;
      const backup = serverOf(world, state, known);
      return backup !== null && backup.role === "backup" && backup.app !== null;
    },
  };
}

/** The primary of the phase's start view was replaced: the view server names another one. */
export const startPrimaryReplaced: NamedPredicate = {
  name: "the start view's primary was replaced",
  test: (world, state, start) => {
    const before = viewServerOf(world, start)?.view.primary ?? null;
    const now = viewServerOf(world, state)?.view.primary ?? null;
    return before !== null && now !== null && now !== before;
  },
};

/** The start view's backup is down; the view server's view has the same primary and a new backup still without the state, unacknowledged. */
export const newBackupPending: NamedPredicate = {
  name: "the start view's backup is down and its replacement waits for its state transfer",
  test: (world, state, start) => {
    const before = viewServerOf(world, start)?.view;
    const viewServer = viewServerOf(world, state);
    if (before?.backup == null || viewServer === null || viewServer.primaryAcked) return false;
    const { view } = viewServer;
    const startBackupDown = state.slots[world.nodeIndex.get(before.backup)!]!.state === null;
    if (!startBackupDown || view.primary !== before.primary || view.backup === null) return false;
    const newBackup = serverOf(world, state, view.backup);
    return view.backup !== before.backup && newBackup !== null && newBackup.app === null;
  },
};

/** The backup of the phase's start view is down (crashed, not restarted). */
export const startBackupDown: NamedPredicate = {
  name: "the start view's backup is down",
  test: (world, state, start) => {
    const backup = viewServerOf(world, start)?.view.backup ?? null;
    return backup !== null && state.slots[world.nodeIndex.get(backup)!]!.state === null;
  },
};
