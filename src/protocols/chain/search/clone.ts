import { copyApp, emptyApp } from "../../../kv/atMostOnce.js";
import type { IncomingTransfer, OutgoingTransfer } from "../../../kv/transfer.js";
import { assertFields } from "../../../search/shape.js";
import type { ChainClientState } from "../client.js";
import type { MasterState, ServerRecord } from "../master.js";
import type { ChainServerState } from "../state.js";
import { emptyChainView } from "../view.js";
export { UnknownShapeError } from "../../../search/shape.js";

// Hand-written clones of chain replication's actor states for the model
// checker, per field (pb's search/clone.ts says why: about ten times faster
// than structuredClone, and the checker clones only the node that steps).
//
// Shared rather than copied, because the actors replace them and never
// change them in place: views (adoptView and changeView build new ones), the
// holders maps (built anew from each ViewReply, or in changeView), log
// entries in the Sent list and the buffer, pending reads, the client's
// `current`, an outgoing
// snapshot's key list and table. Copied: the application (`applyEntry`
// writes it), every array and map that is pushed to or spliced, the master's
// server records (their flags are cleared in place), the read check (its
// `ticks` counts up), the transfers. The engine's `checkSharing` option
// (test/search/chainScenarios.test.ts) re-hashes the parent after every step
// to prove nothing mutable is shared.

export function cloneChainServerState(state: ChainServerState): ChainServerState {
  return {
    incarnation: state.incarnation,
    view: state.view,
    holders: state.holders,
    ackedViewNum: state.ackedViewNum,
    place: state.place,
    app: state.app === null ? null : copyApp(state.app),
    sent: state.sent.slice(),
    sentBase: state.sentBase,
    forwardedUpTo: state.forwardedUpTo,
    successorHolds: state.successorHolds,
    inFlightEnds: state.inFlightEnds.slice(),
    quietTicks: state.quietTicks,
    stable: state.stable,
    handoverAt: state.handoverAt,
    buffered: new Map(state.buffered),
    outgoing: state.outgoing === null ? null : cloneOutgoing(state.outgoing),
    joinerIncarnation: state.joinerIncarnation,
    incoming: state.incoming === null ? null : cloneIncoming(state.incoming),
    snapshotAt: state.snapshotAt,
    reads: state.reads.slice(),
    check: state.check === null ? null : { ...state.check, reads: state.check.reads.slice() },
    nextCheckId: state.nextCheckId,
  };
}

/** chunkAt records chunk starts and the count as it cuts; the key list and table are never mutated. */
function cloneOutgoing(outgoing: OutgoingTransfer): OutgoingTransfer {
  return { ...outgoing, before: new Map(outgoing.before), chunkStarts: outgoing.chunkStarts.slice() };
}

/** receiveChunk fills the store and table of the transfer it is given. */
function cloneIncoming(incoming: IncomingTransfer): IncomingTransfer {
  return { ...incoming, store: new Map(incoming.store), lastByClient: new Map(incoming.lastByClient) };
}

export function cloneMasterState(state: MasterState): MasterState {
  const servers = new Map<string, ServerRecord>();
  for (const [address, record] of state.servers) servers.set(address, { ...record });
  return { view: state.view, tailAcked: state.tailAcked, holders: state.holders, servers };
}

export function cloneChainClientState(state: ChainClientState): ChainClientState {
  return {
    view: state.view,
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
  ChainServerState: [
    "incarnation",
    "view",
    "holders",
    "ackedViewNum",
    "place",
    "app",
    "sent",
    "sentBase",
    "forwardedUpTo",
    "successorHolds",
    "inFlightEnds",
    "quietTicks",
    "stable",
    "handoverAt",
    "buffered",
    "outgoing",
    "joinerIncarnation",
    "incoming",
    "snapshotAt",
    "reads",
    "check",
    "nextCheckId",
  ],
  MasterState: ["view", "tailAcked", "holders", "servers"],
  ServerRecord: ["incarnation", "pingedSinceCheck", "handedOver"],
  ChainClientState: ["view", "seq", "current", "viewRequested", "session", "sessionHeardMs"],
  App: ["applied", "timeMs", "store", "lastByClient"],
  View: ["viewNum", "primary", "backup", "chain"],
} as const;

/**
 * Throws when a state has fields the hand-written clone and hash do not
 * cover: a silently ignored field would merge states that differ, and the
 * search would miss bugs. Called on the initial states of every search.
 */
export function assertKnownShape(type: keyof typeof knownFields, value: object): void {
  assertFields(type, knownFields[type], value, "src/protocols/chain/search/clone.ts and hash.ts");
}

/** A master's record as onPing makes it (the initial master knows no server, so it is checked on a sample). */
const sampleRecord: ServerRecord = { incarnation: 0, pingedSinceCheck: true, handedOver: false };

/**
 * The shapes that do not depend on a node: the application, a server record
 * and a view (without `joining`, which hash.ts knows as optional).
 */
export function assertKnownPartShapes(): void {
  assertKnownShape("App", emptyApp());
  assertKnownShape("ServerRecord", sampleRecord);
  assertKnownShape("View", emptyChainView);
}
