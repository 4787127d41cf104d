import { type Address, serverAddress } from "../../../schemas/address.js";
import type { World } from "../../../search/engine.js";
import type { NamedPredicate } from "../../../search/scenario.js";
export { allClientsDone, and, clientBusy, clientCompleted, not } from "../../../search/predicates.js";
import { clientCompleted } from "../../../search/predicates.js";
import type { SearchState } from "../../../search/state.js";
import type { ChainClientState } from "../client.js";
import type { MasterState } from "../master.js";
import type { ChainServerState } from "../state.js";
import { chainOf, masterAddress, tailOf } from "../view.js";

// Goals and prunes chain replication's scenarios are built from (DSLabs'
// StatePredicates). Every scenario settles its chain in address order
// (settle's prune, `chainOutOfOrder`), so server-1 is the head, server-2 the
// middle and server-3 the tail, and directed phases name them.

export function masterOf(world: World, state: SearchState): MasterState | null {
  return world.stateOf(state, masterAddress) as MasterState | null;
}

/** A server's state (null: down, or no server by that name). */
export function serverOf(world: World, state: SearchState, address: Address): ChainServerState | null {
  return world.roleOf(address) === "server"
    ? (world.stateOf(state, address) as ChainServerState | null)
    : null;
}

export function clientOf(world: World, state: SearchState, address: Address): ChainClientState | null {
  return world.roleOf(address) === "client"
    ? (world.stateOf(state, address) as ChainClientState | null)
    : null;
}

function masterViewNum(world: World, state: SearchState): number {
  return masterOf(world, state)?.view.viewNum ?? 0;
}

/** The master's chain in `state` (empty before view 1). */
export function masterChain(world: World, state: SearchState): readonly Address[] {
  const master = masterOf(world, state);
  return master === null ? [] : chainOf(master.view);
}

/**
 * The master's chain has `length` members and no joining server, its tail
 * took the view up, and every member holds the state and stands in that
 * view in the place the master gave it.
 */
export function chainSettled(length: number): NamedPredicate {
  return {
    name: `a chain of ${length} is settled (every member in the master's view, with the state)`,
    test: (world, state) => {
      const master = masterOf(world, state);
      if (master === null || !master.tailAcked || master.view.joining !== undefined) return false;
      const chain = chainOf(master.view);
      return chain.length === length && chain.every((member) => inMastersView(world, state, master, member));
    },
  };
}

function inMastersView(world: World, state: SearchState, master: MasterState, member: Address): boolean {
  const server = serverOf(world, state, member);
  return (
    server !== null &&
    server.app !== null &&
    server.view.viewNum === master.view.viewNum &&
    server.place !== "spare" &&
    server.place !== "joining"
  );
}

/** The master's view number rose more than `increase` above the phase's start: bounds view churn. */
export function viewNumRoseAbove(increase: number): NamedPredicate {
  return {
    name: `the master's view number is more than ${increase} above the phase's start`,
    test: (world, state, start) => masterViewNum(world, state) > masterViewNum(world, start) + increase,
  };
}

/** The master's chain is not a prefix of server-1, server-2, … (settle prunes it: one order stands for all). */
export const chainOutOfOrder: NamedPredicate = {
  name: "the master's chain is not in address order",
  test: (world, state) => {
    const master = masterOf(world, state);
    if (master === null) return false;
    const members = [
      ...chainOf(master.view),
      ...(master.view.joining === undefined ? [] : [master.view.joining]),
    ];
    return members.some((member, index) => member !== serverAddress(index + 1));
  },
};

/** The update (not a read) `client` waits for, in its open session; null when it waits for none. */
function updateWaitedFor(world: World, state: SearchState, client: Address): { seq: number } | null {
  const clientState = clientOf(world, state, client);
  const current = clientState?.current ?? null;
  if (current === null || current.op.f === "get" || clientState!.session === null) return null;
  return current;
}

/** `server` has applied `client`'s update (its session table holds it). */
function holdsUpdate(
  world: World,
  state: SearchState,
  server: Address,
  client: Address,
  seq: number,
): boolean {
  const session = serverOf(world, state, server)?.app?.lastByClient.get(client);
  return session !== undefined && session.seq >= seq;
}

/** Mid-update: `client` waits for its update, which `server` has applied and `successor` has not. */
export function updateHeldAt(client: Address, server: Address, successor: Address): NamedPredicate {
  return {
    name: `${server} applied ${client}'s update, ${successor} has not, ${client} waits`,
    test: (world, state) => {
      const update = updateWaitedFor(world, state, client);
      return (
        update !== null &&
        holdsUpdate(world, state, server, client, update.seq) &&
        serverOf(world, state, successor) !== null &&
        !holdsUpdate(world, state, successor, client, update.seq)
      );
    },
  };
}

/** `client` still waits for its update, which every server of the master's chain has applied (the tail's answer is not in). */
export function appliedEverywhereWaiting(client: Address): NamedPredicate {
  return {
    name: `every member applied ${client}'s update, ${client} still waits`,
    test: (world, state) => {
      const update = updateWaitedFor(world, state, client);
      const chain = masterChain(world, state);
      return (
        update !== null &&
        chain.length > 0 &&
        chain.every((member) => holdsUpdate(world, state, member, client, update.seq))
      );
    },
  };
}

/** The server is down (crashed, not restarted). */
export function serverDown(address: Address): NamedPredicate {
  return {
    name: `${address} is down`,
    test: (world, state) => state.slots[world.nodeIndex.get(address)!]!.state === null,
  };
}

/** The server crashed and restarted (a new process, without state, under the same name). */
export function restarted(address: Address): NamedPredicate {
  return {
    name: `${address} restarted`,
    test: (world, state) => {
      const slot = state.slots[world.nodeIndex.get(address)!]!;
      return slot.life > 0 && slot.state !== null;
    },
  };
}

/** The server is up and its latest view is `viewNum` (it heard of no later one). */
export function serverInView(address: Address, viewNum: number): NamedPredicate {
  return {
    name: `${address} is still in view ${viewNum}`,
    test: (world, state) => serverOf(world, state, address)?.view.viewNum === viewNum,
  };
}

/** The master's chain is exactly these servers, head first, without a joining server, and its tail took it up. */
export function masterChainIs(...chain: Address[]): NamedPredicate {
  return {
    name: `the master's chain is ${chain.join(" > ")}, taken up by its tail`,
    test: (world, state) => {
      const master = masterOf(world, state);
      const actual = masterChain(world, state);
      return (
        master !== null &&
        master.tailAcked &&
        master.view.joining === undefined &&
        actual.length === chain.length &&
        actual.every((member, index) => member === chain[index])
      );
    },
  };
}

/** The master names `joining` the joining server, which has installed the tail's snapshot and taken that view up. */
export function joinerInstalled(joining: Address): NamedPredicate {
  return {
    name: `${joining} joins and installed the tail's snapshot`,
    test: (world, state) => {
      const master = masterOf(world, state);
      const server = serverOf(world, state, joining);
      return (
        master?.view.joining === joining &&
        server !== null &&
        server.place === "joining" &&
        server.view.viewNum === master.view.viewNum &&
        server.app !== null
      );
    },
  };
}

/**
 * `joining` receives the tail's state while the tail has applied updates
 * after its snapshot: they reach the joining server as Forwards, after the
 * chunks, and the tail answers their clients before the joining server has them.
 */
export function joinedDuringUpdates(joining: Address): NamedPredicate {
  return {
    name: `${joining} joins, and the tail applied updates after the snapshot it sends`,
    test: (world, state) => {
      const master = masterOf(world, state);
      if (master?.view.joining !== joining) return false;
      const tail = serverOf(world, state, tailOf(master.view)!);
      return tail?.outgoing != null && tail.app !== null && tail.outgoing.applied < tail.app.applied;
    },
  };
}

/** Every member of the master's chain took up the master's view. */
export const everyMemberTookUp: NamedPredicate = {
  name: "every member of the master's chain took its view up",
  test: (world, state) => {
    const master = masterOf(world, state);
    return (
      master !== null &&
      masterChain(world, state).every(
        (member) => serverOf(world, state, member)?.view.viewNum === master.view.viewNum,
      )
    );
  },
};

/** `server` still stands as the tail of a view older than the master's, which no longer has it. */
export function staleTail(server: Address): NamedPredicate {
  return {
    name: `${server} still acts as the tail of a replaced view`,
    test: (world, state) => {
      const master = masterOf(world, state);
      const stale = serverOf(world, state, server);
      return (
        master !== null &&
        stale !== null &&
        stale.place === "tail" &&
        stale.view.viewNum < master.view.viewNum &&
        !chainOf(master.view).includes(server)
      );
    },
  };
}

/**
 * Every operation outstanding in the phase's start state has been answered:
 * the liveness promise for a recovery phase that lets no new operation start.
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
