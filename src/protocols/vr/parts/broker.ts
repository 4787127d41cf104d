import type { Address } from "../../../schemas/address.js";
import { replicaSlotsMax } from "../../../schemas/limits.js";
import type { BrokerSupport } from "../../brokerSupport.js";
import { firstMembers, primaryOf, replicaAddress } from "../members.js";
import { ViewReport } from "../messages.js";

// Any replica answers GetView with its view, epoch, members and status
// (ViewReport); drivers ask every replica slot (a reconfiguration may have
// moved the group to slots the configuration did not start) and take the
// highest epoch, then view.

const everySlot: Address[] = firstMembers(replicaSlotsMax).map(replicaAddress);

export const vrBroker: BrokerSupport = {
  viewQuery: {
    to: () => everySlot,
    request: { type: "GetView" },
    viewOf(body) {
      const parsed = ViewReport.safeParse(body);
      if (!parsed.success) return null;
      const { viewNum, epoch, members, status } = parsed.data;
      // A replica outside its epoch's group (removed, spare) knows the group but runs no view.
      if (!["normal", "view-change", "recovering", "transitioning"].includes(status)) return null;
      return {
        viewNum,
        primary: replicaAddress(primaryOf(viewNum, members)),
        backup: null,
        replicas: members.map(replicaAddress),
        status,
        epoch,
      };
    },
  },
  // The answering replica runs the view normally (a view change or a recovery is not full service).
  ready: (view) => view.status === "normal",
};
