import type { Address } from "../../../schemas/address.js";
import type { BrokerSupport } from "../../brokerSupport.js";
import type { VrConfig } from "../config.js";
import { ViewReport } from "../messages.js";
import { primaryOf, replicaAddress } from "../state.js";

// Any replica answers GetView with its view and status (ViewReport); drivers
// ask every replica and take the highest view.

const replicasOf = (count: number): Address[] => Array.from({ length: count }, (_, i) => replicaAddress(i));

export const vrBroker: BrokerSupport = {
  viewQuery: {
    to: (config) => replicasOf((config as VrConfig).replicas),
    request: { type: "GetView" },
    viewOf(body) {
      const parsed = ViewReport.safeParse(body);
      if (!parsed.success) return null;
      const { viewNum, replicas, status } = parsed.data;
      return {
        viewNum,
        primary: replicaAddress(primaryOf(viewNum, replicas)),
        backup: null,
        replicas: replicasOf(replicas),
        status,
      };
    },
  },
  // The answering replica runs the view normally (a view change or a recovery is not full service).
  ready: (view) => view.status === "normal",
};
