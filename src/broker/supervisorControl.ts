// The supervisor's ear on `<c>.control` (DESIGN §5): of the control commands
// only `start NODE` is its own (the nodes ignore it), which starts a process
// for a node the protocol lets a running cluster add (VR's replica slots,
// which `npm run reconfigure` then makes members). It answers as a node
// answers a fault: a `fault.<node>` event with the effect, so `npm run fault`
// and `npm run reconfigure` see it. On a secure cluster only the operator
// may start processes: the broker-stamped user_id must be the operator's.
import type { ConsumeMessage } from "amqplib";
import { nanoid } from "nanoid";
import type { Logger } from "pino";
import { ControlCommand } from "../schemas/control.js";
import { messageBytesMax } from "../schemas/limits.js";
import { parseJsonWith } from "../schemas/parse.js";
import type { BrokerConnection } from "./connection.js";
import { publishClusterEvent } from "./events.js";
import type { ClusterSupervisor } from "./supervisor.js";
import { Tap } from "./tap.js";
import type { ClusterNames } from "./topology.js";

export interface SupervisorControlOptions {
  names: ClusterNames;
  connection: BrokerConnection;
  supervisor: ClusterSupervisor;
  /** A secure cluster's operator user (who alone may start nodes); null on an open cluster. */
  operatorUser: string | null;
  log: Logger;
  /** One line per refused start (`npm run cluster` prints the accepted ones' fault events). */
  say: (line: string) => void;
}

/** Listens while attached to the connection; `stop` ends it. */
export class SupervisorControl extends Tap {
  constructor(private readonly options: SupervisorControlOptions) {
    super(
      options.names.controlQueue("supervisor", nanoid(8)),
      [{ exchange: options.names.control, routingKey: "" }],
      (message) => this.onControl(message),
    );
  }

  private onControl(message: ConsumeMessage): void {
    const { names, connection, supervisor, operatorUser, log, say } = this.options;
    if (message.content.length > messageBytesMax) return; // the nodes report it (rejected)
    const parsed = parseJsonWith(ControlCommand, message.content.toString("utf8"));
    if (!parsed.ok || parsed.value.type !== "start") return; // not the supervisor's
    const command = parsed.value;
    const user = message.properties.userId as string | undefined;
    if (operatorUser !== null && user !== operatorUser) {
      log.warn({ command, user }, "start refused: not the operator");
      say(`refused to start ${command.node}: asked by ${user ?? "no user"}, not the operator`);
      return;
    }
    const result = supervisor.startOnRequest(command.node);
    const effect = result.started ? `started: ${result.detail}` : `not started: ${result.detail}`;
    log.info({ command, effect }, "start asked for"); // the cluster prints the fault event
    publishClusterEvent(connection, names, command.node, { type: "fault", command, effect });
  }
}
