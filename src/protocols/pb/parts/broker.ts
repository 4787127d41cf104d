import { View } from "../../../schemas/view.js";
import { viewServerAddress } from "../../../schemas/address.js";
import type { BrokerSupport } from "../../brokerSupport.js";

// The view server answers GetView with the current view (without counting it
// as a ping); a view serves with full redundancy once it has a backup.
export const pbBroker: BrokerSupport = {
  viewQuery: {
    to: () => [viewServerAddress],
    request: { type: "GetView" },
    viewOf(body) {
      if (body.type !== "ViewReply") return null;
      const parsed = View.safeParse((body as { view?: unknown }).view);
      return parsed.success ? parsed.data : null;
    },
  },
  ready: (view) => view.primary !== null && view.backup !== null,
};
