import type { ChainConfig, ChainMutation } from "./config.js";
import type { ChainDecisions } from "./decisions.js";
import { isHeadPlace, isTailPlace } from "./view.js";

// Planted bugs (`--mutation`, ChainConfig.mutations): each replaces one
// decision of the correct protocol (decisions.ts). The model checker's table
// of which search catches each is search/mutants.ts.

const bugs: Readonly<Record<ChainMutation, Partial<ChainDecisions>>> = {
  // The server before the tail answers when it applies, before the tail has the update.
  tailRepliesBeforeApply: {
    answersUpdates: (place, successorIsTail) => (successorIsTail ? true : isTailPlace(place)),
  },
  // The head answers reads from its own store, updates no tail has applied included.
  readsAtHead: { takesReads: (place) => isHeadPlace(place) || isTailPlace(place) },
  // A server relinked to a new successor forgets its Sent list instead of resending it.
  dropSentOnRelink: { keepsSentOnRelink: false },
  // The tail hands over as soon as the joining server installed its snapshot, before it holds
  // the updates answered since: the new tail answers queries without them.
  joinerServesEarly: { handsOver: () => true },
  // A server applies Forwards as they arrive, so a link that reorders two reorders its updates.
  applyOnArrival: { appliesInOrder: false },
  // The tail answers reads without asking its predecessor whether it is still the tail.
  readsWithoutCheck: { confirmsReads: () => false },
};

export function plantedDecisions(config: ChainConfig): Partial<ChainDecisions> {
  return Object.assign({}, ...config.mutations.map((mutation) => bugs[mutation])) as Partial<ChainDecisions>;
}
