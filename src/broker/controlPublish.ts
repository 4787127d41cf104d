// Publishing a control command (DESIGN §5): JSON on the fanout `<c>.control`,
// which every host of the cluster (and `npm run cluster`'s supervisor) reads.
// On a secure cluster only the operator's user may publish there.
import type { ControlCommand } from "../schemas/control.js";
import type { BrokerConnection } from "./connection.js";
import type { ClusterNames } from "./topology.js";

/** Publishes `command` on `<c>.control`; false when it was not sent (the connection is down). */
export function publishControl(
  connection: BrokerConnection,
  names: ClusterNames,
  command: ControlCommand,
): boolean {
  return connection.publish(names.control, "", Buffer.from(JSON.stringify(command)), {
    contentType: "application/json",
    type: command.type,
  });
}
