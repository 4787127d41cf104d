// A protocol's operator actor on the broker, for one reconfiguration (`npm
// run reconfigure`; VR's in src/protocols/vr/parts/reconfiguration.ts), on an
// operator client address (`client-operator-*`, the only senders VR replicas
// take Reconfigure from; on a secure cluster only the operator's user may
// send as one). Its outcome is read from its
// state after every event.
import type { Logger } from "pino";
import type { ActorDefinition } from "../actors/context.js";
import type { ReconfigureFrom, ReconfigureOutcome } from "../protocols/brokerSupport.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import { operatorClientAddress } from "../security/principal.js";
import { ActorHost } from "./actorHost.js";
import type { BrokerConnection } from "./connection.js";
import type { ClusterNames } from "./topology.js";

export interface OperatorRun {
  readonly address: Address;
  readonly outcome: Promise<ReconfigureOutcome>;
  /** One line on where it is (progress lines). */
  describe(): string;
  stop(): Promise<void>;
}

export interface OperatorRunOptions {
  names: ClusterNames;
  connection: BrokerConnection;
  protocol: AnyProtocol;
  config: ProtocolConfigBase;
  from: ReconfigureFrom;
  target: readonly Address[];
  log: Logger;
}

export async function startOperator(options: OperatorRunOptions): Promise<OperatorRun> {
  const support = options.protocol.broker.reconfiguration;
  if (support === undefined) throw new Error(`${options.protocol.name} has no reconfiguration`);
  let settle: (outcome: ReconfigureOutcome) => void = () => {};
  const outcome = new Promise<ReconfigureOutcome>((resolve) => (settle = resolve));
  const { definition, outcomeOf } = support.operator(options.config, options.from, options.target);
  const check = (state: unknown): void => {
    const settled = outcomeOf(state);
    if (settled !== null) settle(settled);
  };
  const observed: ActorDefinition<unknown> = {
    ...definition,
    onMessage(state, message, ctx) {
      definition.onMessage(state, message, ctx);
      check(state);
    },
  };
  const address = operatorClientAddress(options.names.cluster, options.connection.user);
  const host = new ActorHost({
    names: options.names,
    address,
    protocol: options.protocol,
    definition: observed,
    connection: options.connection,
    log: options.log.child({ node: address }),
    checkInvariants: true,
    onFatal: (error) => settle({ kind: "busy", reason: `the operator actor failed: ${error.message}` }),
  });
  await host.start();
  return { address, outcome, describe: () => host.describe(), stop: () => host.stop({ deleteQueue: true }) };
}
