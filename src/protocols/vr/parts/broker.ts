import type { BrokerSupport } from "../../brokerSupport.js";
import { ViewReport } from "../messages.js";
import { primaryOf, replicaAddress } from "../state.js";

// Any replica answers GetView with its view and status (ViewReport).
export const vrBroker: BrokerSupport = {
  viewQuery: {
    to: replicaAddress(0),
    request: { type: "GetView" },
    viewOf(body) {
      const parsed = ViewReport.safeParse(body);
      if (!parsed.success) return null;
      const { viewNum, replicas } = parsed.data;
      return { viewNum, primary: replicaAddress(primaryOf(viewNum, replicas)), backup: null };
    },
  },
};
