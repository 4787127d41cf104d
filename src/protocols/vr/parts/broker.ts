import type { Address } from "../../../schemas/address.js";
import { replicaSlotsMax } from "../../../schemas/limits.js";
import type { View } from "../../../schemas/view.js";
import type { BrokerSupport, ViewQuery } from "../../brokerSupport.js";
import { makeVrConfig, type VrConfig } from "../config.js";
import { firstMembers, primaryOf, replicaAddress } from "../members.js";
import { ViewReport } from "../messages.js";
import { vrReconfiguration } from "./reconfiguration.js";

// Any replica answers GetView with its view, epoch, members and status
// (ViewReport); drivers ask every replica slot (a reconfiguration may have
// moved the group to slots the configuration did not start) and take the
// highest epoch, then view.

const everySlot: Address[] = firstMembers(replicaSlotsMax).map(replicaAddress);

/** The view a ViewReport states, whatever the answering replica's status; null when the body is not one. */
function reportedView(body: unknown): View | null {
  const parsed = ViewReport.safeParse(body);
  if (!parsed.success) return null;
  const { viewNum, epoch, members, status } = parsed.data;
  return {
    viewNum,
    primary: replicaAddress(primaryOf(viewNum, members)),
    backup: null,
    replicas: members.map(replicaAddress),
    status,
    epoch,
  };
}

/**
 * What one slot says, any status included ("spare": started, not a member;
 * "removed": serving fetches until it retires): `npm run reconfigure` waits
 * for new replicas to be spares before it asks for them.
 */
const vrSlotQuery: ViewQuery = {
  to: () => everySlot,
  request: { type: "GetView" },
  viewOf: reportedView,
};

export const vrBroker: BrokerSupport = {
  viewQuery: {
    ...vrSlotQuery,
    viewOf(body) {
      const view = reportedView(body);
      // A replica outside its epoch's group (removed, spare) knows the group but runs no view.
      const running = ["normal", "view-change", "recovering", "transitioning"];
      return view !== null && running.includes(view.status ?? "") ? view : null;
    },
  },
  // The answering replica runs the view normally (a view change or a recovery is not full service).
  ready: (view) => view.status === "normal",
  // `npm run reconfigure` has the supervisor start new replicas in any free slot.
  startable: () => everySlot,
  // A new client process knows only the slots it was configured with; after
  // reconfigurations the group may be elsewhere (server-1 … server-3 all
  // removed): its every-slot fallback covers them all.
  clientConfig(config) {
    const vr = config as VrConfig;
    return makeVrConfig({ ...vr, spares: replicaSlotsMax - vr.replicas });
  },
  reconfiguration: vrReconfiguration(vrSlotQuery),
};
