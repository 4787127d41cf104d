import type { ClientState } from "../client.js";
import type { ServerState } from "../server.js";
import type { IncomingTransfer, OutgoingTransfer } from "../../../kv/transfer.js";
import type { ViewServerState } from "../viewServer.js";
import { copyApp, emptyApp, type App } from "../../../kv/atMostOnce.js";
import { initialView } from "../../../schemas/view.js";
import { assertFields } from "../../../search/shape.js";
export { UnknownShapeError } from "../../../search/shape.js";

// Hand-written clones of actor states, about ten times faster than
// structuredClone. The model checker clones only the node that steps (the
// others are shared with the parent state), and only when the transition is
// not already in its cache.
//
// What is shared rather than copied: objects the actors replace but never
// mutate in place — operations, forward entries (also held by frozen
// messages), sessions of the at-most-once table (`applyEntry` stores a new object) and the
// client's `current`. Everything the actors do mutate (views, maps, arrays,
// the view server's records) is copied. The engine's `checkSharing` option
// (used by the tests) re-hashes the parent after every step to prove it.

export function cloneApp(app: App): App {
  return copyApp(app);
}

export function cloneServerState(state: ServerState): ServerState {
  return {
    incarnation: state.incarnation,
    view: { ...state.view },
    role: state.role,
    ackedViewNum: state.ackedViewNum,
    app: state.app === null ? null : cloneApp(state.app),
    transferAcked: state.transferAcked,
    backupIncarnation: state.backupIncarnation,
    outgoing: state.outgoing === null ? null : cloneOutgoing(state.outgoing),
    incoming: state.incoming === null ? null : cloneIncoming(state.incoming),
    pending: state.pending.slice(),
    inFlightEnds: state.inFlightEnds.slice(),
    sentUpTo: state.sentUpTo,
    sentUpToLastTick: state.sentUpToLastTick,
    buffered: new Map(state.buffered),
  };
}

/** The snapshot's key list and table are never mutated: shared. */
function cloneOutgoing(outgoing: OutgoingTransfer): OutgoingTransfer {
  return { ...outgoing, before: new Map(outgoing.before), chunkStarts: outgoing.chunkStarts.slice() };
}

function cloneIncoming(incoming: IncomingTransfer): IncomingTransfer {
  return { ...incoming, store: new Map(incoming.store), lastByClient: new Map(incoming.lastByClient) };
}

export function cloneViewServerState(state: ViewServerState): ViewServerState {
  const servers = new Map<string, { incarnation: number; pingedSinceCheck: boolean }>();
  for (const [address, record] of state.servers) servers.set(address, { ...record });
  return {
    view: { ...state.view },
    primaryAcked: state.primaryAcked,
    primaryIncarnation: state.primaryIncarnation,
    backupIncarnation: state.backupIncarnation,
    servers,
  };
}

export function cloneClientState(state: ClientState): ClientState {
  return {
    view: state.view === null ? null : { ...state.view },
    seq: state.seq,
    current: state.current,
    viewRequested: state.viewRequested,
    session: state.session,
    sessionHeardMs: state.sessionHeardMs,
  };
}

// ---------------------------------------------------------------- shape guards

/** The fields clone.ts and hash.ts know, per state type. */
export const knownFields = {
  ServerState: [
    "incarnation",
    "view",
    "role",
    "ackedViewNum",
    "app",
    "transferAcked",
    "backupIncarnation",
    "outgoing",
    "incoming",
    "pending",
    "inFlightEnds",
    "sentUpTo",
    "sentUpToLastTick",
    "buffered",
  ],
  ViewServerState: ["view", "primaryAcked", "primaryIncarnation", "backupIncarnation", "servers"],
  ClientState: ["view", "seq", "current", "viewRequested", "session", "sessionHeardMs"],
  App: ["applied", "timeMs", "store", "lastByClient"],
  View: ["viewNum", "primary", "backup"],
} as const;

/**
 * Throws when an actor state has fields the hand-written clone and hash do
 * not cover: a silently ignored field would merge states that differ, and the
 * search would miss bugs. Called on the initial states of every search.
 */
export function assertKnownShape(type: keyof typeof knownFields, value: object): void {
  assertFields(type, knownFields[type], value, "src/protocols/pb/search/clone.ts and hash.ts");
}

/** The shapes that do not depend on a node: the application and the view. */
export function assertKnownAppShapes(): void {
  assertKnownShape("App", emptyApp());
  assertKnownShape("View", initialView);
}
