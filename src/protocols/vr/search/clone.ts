import { copyApp, emptyApp, type App } from "../../../kv/atMostOnce.js";
import type { IncomingTransfer, OutgoingTransfer } from "../../../kv/transfer.js";
import type { VrClientState } from "../client.js";
import type { OperatorState } from "../operator.js";
import type { Fetch, ReplicaState } from "../state.js";
import { assertFields } from "../../../search/shape.js";
export { UnknownShapeError } from "../../../search/shape.js";

// Hand-written clones of VR's actor states for the model checker, per field
// (pb's search/clone.ts says why: about ten times faster than
// structuredClone, and the checker clones only the node that steps).
//
// Shared rather than copied: what the replica replaces but never mutates in
// place: log entries, pending requests, votes and recovery answers are
// objects that are only ever replaced or dropped (their arrays are copied);
// an outgoing snapshot's key list and table. Copied: the application
// (`applyEntry` writes it), the outgoing snapshot's saved values (a write
// saves into them) and chunk starts, every array and map that is pushed to
// or spliced, the fetch and its incoming transfer (receiveChunk fills its maps). A fetch's `base`
// is copied too: it becomes the replica's `app` when the fetch completes, and
// is then written by every executed entry. The engine's `checkSharing`
// option (test/search/vrMutants.test.ts) re-hashes the parent after every
// step to prove nothing mutable is shared.

export function cloneApp(app: App): App {
  return copyApp(app);
}

export function cloneReplicaState(state: ReplicaState): ReplicaState {
  return {
    self: state.self,
    slots: state.slots,
    epoch: state.epoch,
    // Replaced, never changed in place: shared.
    members: state.members,
    epochStart: state.epochStart,
    epochStarted: state.epochStarted.slice(),
    viewNum: state.viewNum,
    status: state.status,
    lastNormal: state.lastNormal,
    opNumber: state.opNumber,
    commitNumber: state.commitNumber,
    log: state.log.slice(),
    logStart: state.logStart,
    app: cloneApp(state.app),
    outgoing: state.outgoing === null ? null : cloneOutgoing(state.outgoing),
    pinnedTicks: state.pinnedTicks,
    acked: state.acked.slice(),
    // Each batch record is replaced, never changed: the array is copied.
    prepared: state.prepared.slice(),
    preparedAtLastTick: state.preparedAtLastTick,
    pending: state.pending.slice(),
    awaitingEpoch: state.awaitingEpoch.slice(),
    silentTicks: state.silentTicks,
    startViewChanges: state.startViewChanges.slice(),
    votes: state.votes.slice(),
    fetch: state.fetch === null ? null : cloneFetch(state.fetch),
    nonce: state.nonce,
    recoveryResponses: state.recoveryResponses.slice(),
    expiryCheckIn: state.expiryCheckIn,
  };
}

/** chunkAt records chunk starts and the count as it cuts; the key list and table are never mutated. */
function cloneOutgoing(outgoing: OutgoingTransfer): OutgoingTransfer {
  return { ...outgoing, before: new Map(outgoing.before), chunkStarts: outgoing.chunkStarts.slice() };
}

function cloneFetch(fetch: Fetch): Fetch {
  return {
    ...fetch,
    base: fetch.base === null ? null : cloneApp(fetch.base),
    entries: fetch.entries.slice(),
    incoming: fetch.incoming === null ? null : cloneIncoming(fetch.incoming),
  };
}

function cloneIncoming(incoming: IncomingTransfer): IncomingTransfer {
  return { ...incoming, store: new Map(incoming.store), lastByClient: new Map(incoming.lastByClient) };
}

/** The client's `current` is replaced, never mutated: shared. */
export function cloneVrClientState(state: VrClientState): VrClientState {
  return {
    epoch: state.epoch,
    members: state.members,
    viewNum: state.viewNum,
    seq: state.seq,
    current: state.current,
    session: state.session,
    sessionHeardMs: state.sessionHeardMs,
    heard: state.heard,
    retries: state.retries,
    bounces: state.bounces,
  };
}

/** The operator's `current` is changed in place (its phase): copied; its member lists are replaced: shared. */
export function cloneOperatorState(state: OperatorState): OperatorState {
  return { ...state, current: state.current === null ? null : { ...state.current } };
}

// ---------------------------------------------------------------- shape guards

/** The fields clone.ts and hash.ts know, per state type. */
export const knownFields = {
  ReplicaState: [
    "self",
    "slots",
    "epoch",
    "members",
    "epochStart",
    "epochStarted",
    "viewNum",
    "status",
    "lastNormal",
    "opNumber",
    "commitNumber",
    "log",
    "logStart",
    "app",
    "outgoing",
    "pinnedTicks",
    "acked",
    "prepared",
    "preparedAtLastTick",
    "pending",
    "awaitingEpoch",
    "silentTicks",
    "startViewChanges",
    "votes",
    "fetch",
    "nonce",
    "recoveryResponses",
    "expiryCheckIn",
  ],
  VrClientState: [
    "epoch",
    "members",
    "viewNum",
    "seq",
    "current",
    "session",
    "sessionHeardMs",
    "heard",
    "retries",
    "bounces",
  ],
  OperatorState: ["epoch", "members", "viewNum", "seq", "current", "done", "idleTicks", "refused"],
  App: ["applied", "timeMs", "store", "lastByClient"],
  Fetch: [
    "purpose",
    "source",
    "viewNum",
    "base",
    "after",
    "entries",
    "commitNumber",
    "goal",
    "incoming",
    "quietTicks",
  ],
} as const;

/**
 * Throws when a state has fields the hand-written clone and hash do not
 * cover: a silently ignored field would merge states that differ, and the
 * search would miss bugs. Called on the initial states of every search.
 */
export function assertKnownShape(type: keyof typeof knownFields, value: object): void {
  assertFields(type, knownFields[type], value, "src/protocols/vr/search/clone.ts and hash.ts");
}

/** A fetch as startFetch makes it (the initial state has none, so its shape is checked on a sample). */
const sampleFetch: Fetch = {
  purpose: "catchUp",
  source: 0,
  viewNum: 0,
  base: null,
  after: 0,
  entries: [],
  commitNumber: 0,
  goal: null,
  incoming: null,
  quietTicks: 0,
};

/** The shapes that do not depend on a node: the application and a fetch. */
export function assertKnownPartShapes(): void {
  assertKnownShape("App", emptyApp());
  assertKnownShape("Fetch", sampleFetch);
}
