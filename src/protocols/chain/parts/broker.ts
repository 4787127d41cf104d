import { View } from "../../../schemas/view.js";
import type { BrokerSupport } from "../../brokerSupport.js";
import { masterAddress } from "../view.js";

// The master answers GetView with the chain (without counting it as a ping).
// A chain serves with redundancy once it has two members and no join is
// under way (a joining server is linked in by the next view).
export const chainBroker: BrokerSupport = {
  viewQuery: {
    to: () => [masterAddress],
    request: { type: "GetView" },
    viewOf(body) {
      if (body.type !== "ViewReply") return null;
      const parsed = View.safeParse((body as { view?: unknown }).view);
      return parsed.success ? parsed.data : null;
    },
  },
  ready: (view) => (view.chain?.length ?? 0) >= 2 && view.joining === undefined,
};
