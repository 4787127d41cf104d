import { digestOfApp } from "../../kv/digest.js";
import type { StateAgreement } from "../protocol.js";
import type { ServerState } from "./server.js";

// backupConsistent (invariants.ts) for the broker's --debug, where primary and
// backup live in separate processes and no moment is shared: two servers that
// applied the same log positions in the same view hold the same store and the
// same session table, whenever each of them got there. A backup that applied
// a forward its primary never logged, or a transfer that lost writes, shows as
// two digests at one point.

export const pbAgreement: StateAgreement = {
  name: "backupConsistent",
  pointOf(role, state) {
    if (role !== "server") return null;
    const server = state as ServerState;
    if (server.app === null || (server.role !== "primary" && server.role !== "backup")) return null;
    return `view ${server.view.viewNum} applied ${server.app.applied}`;
  },
  digestOf: (_role, state) => digestOfApp((state as ServerState).app!),
};
