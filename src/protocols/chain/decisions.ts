import type { ChainServerState } from "./state.js";
import { isTailPlace, type Place } from "./view.js";

/**
 * The server's decisions that a planted bug may replace (plantedBugs.ts), so
 * that the handlers read as the correct protocol. `correctDecisions` are the
 * rules of docs/CHAIN.md.
 */
export interface ChainDecisions {
  /** A server that applied an update answers its client: the tail only (it alone knows every server holds it). */
  answersUpdates(place: Place, successorIsTail: boolean): boolean;
  /** A server that takes reads: the tail only (the head holds updates no client was answered for). */
  takesReads(place: Place): boolean;
  /** The tail asks its predecessor to confirm the chain before it answers reads (a deposed tail would read stale data). */
  confirmsReads(state: ChainServerState): boolean;
  /** A tail with a joining server hands over once the joiner holds every update it answered (a new tail must not lag the old one). */
  handsOver(joinerHolds: number, answeredUpTo: number): boolean;
  /** A server relinked to a new successor keeps its Sent list to resend (the successor may lack any of it). */
  keepsSentOnRelink: boolean;
  /** A server applies its predecessor's positions in order, holding those after a gap (links reorder). */
  appliesInOrder: boolean;
}

export const correctDecisions: ChainDecisions = {
  answersUpdates: (place) => isTailPlace(place),
  takesReads: (place) => isTailPlace(place),
  confirmsReads: () => true,
  handsOver: (joinerHolds, answeredUpTo) => joinerHolds >= answeredUpTo,
  keepsSentOnRelink: true,
  appliesInOrder: true,
};
