import { assert, assertNever } from "../../actors/assert.js";
import { type Address, isServerAddress } from "../../schemas/address.js";
import { describeView, type View } from "../../schemas/view.js";
import type { ActorDefinition, Context, Message } from "./actor.js";
import type { ChainConfig } from "./config.js";
import type { BodyOf } from "./messages.js";
import { chainOf, chainView, emptyChainView, tailOf } from "./view.js";

// The master (van Renesse & Schneider §3): it detects failures as pb's view
// server does (a server that did not ping between two checks, or pings with a
// new incarnation, is lost) and relinks the chain, one change per view, only
// once the tail has taken the current view up. That rule is what makes reads
// at the tail safe without clocks: a tail cut off from the master still
// answers reads once its predecessor confirms the view (server.ts), and no
// later tail serves until the master could make the view after it. A pure
// state machine, so it can later be replicated.

export interface ServerRecord {
  /** The incarnation the server last pinged with; a new one means it restarted. */
  incarnation: number;
  /** Pinged since the last check; a server that did not is dead. */
  pingedSinceCheck: boolean;
  /** Its last ping, in the current view, said its joining server holds every update it answered (the tail). */
  handedOver: boolean;
}

export interface MasterState {
  view: View;
  /** The tail pinged with the current view number (with the incarnation it holds its place as). */
  tailAcked: boolean;
  /** The process holding each place of the view (chain members and the joining server). */
  holders: Map<Address, number>;
  /** Live servers only: a server is forgotten when declared dead. */
  servers: Map<Address, ServerRecord>;
}

export function createMaster(config: ChainConfig): ActorDefinition<MasterState> {
  return {
    kind: "master",
    init(ctx) {
      ctx.setTimer({ type: "PingCheckTimer" }, config.pingCheckMs);
      return {
        view: { ...emptyChainView, chain: [] },
        tailAcked: false,
        holders: new Map(),
        servers: new Map(),
      };
    },
    onMessage(state, message, ctx) {
      const body = message.body;
      switch (body.type) {
        case "Ping":
          return onPing(state, body, message, ctx, config);
        case "GetView":
          return replyView(state, message.from, ctx);
        default:
          return ctx.log.debug(
            { from: message.from, type: body.type },
            "the master takes only Ping and GetView",
          );
      }
    },
    onTimer(state, timer, ctx) {
      switch (timer.type) {
        case "PingCheckTimer":
          return onPingCheck(state, ctx, config);
        case "PingTimer":
        case "ClientRetryTimer":
          return;
        default:
          return assertNever(timer, "timer");
      }
    },
    viewNum: (state) => state.view.viewNum,
    invariants: masterInvariants,
    describe: (state) =>
      `${describeView(state.view)}${state.tailAcked ? " acked" : ""} live=[${[...state.servers.keys()].sort().join(",")}]`,
  };
}

function onPing(
  state: MasterState,
  ping: BodyOf<"Ping">,
  message: Message,
  ctx: Context,
  config: ChainConfig,
): void {
  const from = message.from;
  if (!isServerAddress(from)) return ctx.log.warn({ from }, "ping from a non-server address refused");
  if (ping.viewNum > state.view.viewNum)
    return ctx.log.warn({ from, viewNum: ping.viewNum }, "ping of a view that does not exist yet refused");
  const current = ping.viewNum === state.view.viewNum;
  state.servers.set(from, {
    incarnation: ping.incarnation,
    pingedSinceCheck: true,
    handedOver: current && ping.handedOver,
  });
  if (state.view.viewNum === 0) {
    // The very first pinger is the whole chain, with an empty store.
    changeView(state, [from], null, ctx, `${from} pinged first`);
  } else if (from === tailOf(state.view) && holdsPlace(state, from) && current) {
    state.tailAcked = true;
  }
  considerChange(state, ctx, config);
  replyView(state, from, ctx, ping.incarnation);
}

function onPingCheck(state: MasterState, ctx: Context, config: ChainConfig): void {
  for (const [address, record] of [...state.servers])
    if (!record.pingedSinceCheck) state.servers.delete(address);
  // Decide before the flags are cleared: every server left pinged in the interval that just ended.
  considerChange(state, ctx, config);
  for (const record of state.servers.values()) record.pingedSinceCheck = false;
  ctx.setTimer({ type: "PingCheckTimer" }, config.pingCheckMs);
}

function replyView(state: MasterState, to: Address, ctx: Context, pingIncarnation?: number): void {
  ctx.send(to, {
    type: "ViewReply",
    view: chainView(state.view.viewNum, chainOf(state.view), state.view.joining ?? null),
    incarnations: [...state.holders],
    ...(pingIncarnation === undefined ? {} : { pingIncarnation }),
  });
}

/** A server holds its place while it pings with the incarnation it took the place as. */
export function holdsPlace(state: MasterState, address: Address): boolean {
  const record = state.servers.get(address);
  return record !== undefined && record.incarnation === state.holders.get(address);
}

/** The place holder restarted: it pings, under another incarnation (its old life, and state, are gone). */
function restarted(state: MasterState, address: Address): boolean {
  const record = state.servers.get(address);
  return record !== undefined && record.incarnation !== state.holders.get(address);
}

/**
 * One change per view, once the tail took the view up: drop a lost member,
 * replace a lost joining server, link in a joining server the tail handed over to (it holds the
 * tail's state, or start a join when the chain is short. Before the tail's
 * acknowledgement, only a tail that restarted may go (its old life cannot
 * answer anything any more).
 */
function considerChange(state: MasterState, ctx: Context, config: ChainConfig): void {
  const { view } = state;
  const chain = chainOf(view);
  if (view.viewNum === 0) return;
  const tail = chain.at(-1)!;
  if (!state.tailAcked) {
    if (chain.length > 1 && restarted(state, tail))
      changeView(
        state,
        chain.slice(0, -1),
        null,
        ctx,
        `tail ${tail} restarted before it took view ${view.viewNum} up`,
      );
    return;
  }
  const lost = chain.find((member) => !holdsPlace(state, member));
  if (lost !== undefined) return removeMember(state, lost, ctx, config);
  const joining = view.joining;
  if (joining !== undefined && !holdsPlace(state, joining)) {
    const idle = pickIdle(state);
    return changeView(state, chain, idle, ctx, [
      lostWhy(state, "joining server", joining, config),
      joinWhy(idle),
    ]);
  }
  if (joining !== undefined && state.servers.get(tail)!.handedOver)
    return changeView(
      state,
      [...chain, joining],
      null,
      ctx,
      `${joining} holds ${tail}'s state: linked in as the tail`,
    );
  if (joining === undefined && chain.length < config.chainLength) {
    const idle = pickIdle(state);
    if (idle !== null) changeView(state, chain, idle, ctx, joinWhy(idle));
  }
}

/** Drop one lost member; the last one holding the state is never dropped (the service waits for it). */
function removeMember(state: MasterState, lost: Address, ctx: Context, config: ChainConfig): void {
  const chain = chainOf(state.view);
  if (chain.length === 1) return;
  const rest = chain.filter((member) => member !== lost);
  const wasTail = lost === chain.at(-1);
  // A joining server takes the state of the tail; when the tail goes, it starts over later.
  const joining = wasTail ? null : (state.view.joining ?? null);
  const place = lost === chain[0] ? "head" : wasTail ? "tail" : "middle server";
  changeView(state, rest, joining, ctx, [
    lostWhy(state, place, lost, config),
    wasTail
      ? `${rest.at(-1)!} is the tail`
      : lost === chain[0]
        ? `${rest[0]!} is the head`
        : `${chain[chain.indexOf(lost) - 1]!} relinks to ${chain[chain.indexOf(lost) + 1]!}`,
  ]);
}

function lostWhy(state: MasterState, place: string, address: Address, config: ChainConfig): string {
  return state.servers.has(address)
    ? `${place} ${address} restarted`
    : `${place} ${address} silent for a whole ${config.pingCheckMs} ms check`;
}

function joinWhy(idle: Address | null): string {
  return idle === null ? "no spare to join" : `${idle} joins: it receives the tail's state`;
}

/** The live spare with the smallest address that pinged since the last check (one fallen silent may have crashed). */
function pickIdle(state: MasterState): Address | null {
  const placed = new Set(state.holders.keys());
  const candidates = [...state.servers]
    .filter(([address, record]) => record.pingedSinceCheck && !placed.has(address))
    .map(([address]) => address)
    .sort();
  return candidates[0] ?? null;
}

function changeView(
  state: MasterState,
  chain: readonly Address[],
  joining: Address | null,
  ctx: Context,
  /** Why, for people watching (events and logs); no decision reads it. */
  reason: string | string[],
): void {
  assert(chain.length > 0, "a chain after view 0 has a member");
  const previous = chainOf(state.view);
  assert(
    previous.length === 0 ||
      chain.every((member) => previous.includes(member) || member === state.view.joining),
    "only a joining server that holds the state enters the chain",
  );
  const holders = new Map<Address, number>();
  for (const member of joining === null ? chain : [...chain, joining])
    holders.set(member, state.holders.get(member) ?? state.servers.get(member)!.incarnation);
  state.holders = holders;
  state.view = chainView(state.view.viewNum + 1, chain, joining);
  state.tailAcked = false;
  for (const record of state.servers.values()) record.handedOver = false;
  const why = typeof reason === "string" ? reason : reason.join("; ");
  ctx.log.info({ view: state.view, reason: why }, "chain changed");
  ctx.emit({ type: "viewChanged", view: { ...state.view, chain: [...chainOf(state.view)] }, reason: why });
}

function masterInvariants(state: MasterState): void {
  const chain = chainOf(state.view);
  if (state.view.viewNum === 0) assert(chain.length === 0, "view 0 has no chain");
  else assert(chain.length > 0, "every view after 0 has a chain");
  assert(new Set(chain).size === chain.length, "a server has one place in the chain");
  if (state.view.joining !== undefined)
    assert(!chain.includes(state.view.joining), "a joining server is not in the chain yet");
  assert(state.view.primary === (chain[0] ?? null), "the view's primary is the head");
}
