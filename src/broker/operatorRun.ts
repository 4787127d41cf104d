// A protocol's operator actor on the broker, for one reconfiguration (`npm
// run reconfigure`; VR's in src/protocols/vr/parts/reconfiguration.ts), on an
// operator client address (`client-operator-*`, on an open cluster too: the only
// senders VR replicas take Reconfigure from). Its outcome is read from its
// state after every event, and the moment it first sent (its request: the
// operator asks on a timer, not when it starts) is noted for the bench.
import type { Logger } from "pino";
import type { ActorDefinition, Context } from "../actors/context.js";
import type { ReconfigureFrom, ReconfigureOutcome } from "../protocols/brokerSupport.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import { newOperatorAddress } from "../security/principal.js";
import { ActorHost } from "./actorHost.js";
import type { BrokerConnection } from "./connection.js";
import type { ClusterNames } from "./topology.js";

export interface OperatorRun {
  readonly address: Address;
  readonly outcome: Promise<ReconfigureOutcome>;
  /** performance.now() when the operator sent its first message (the request), or null before. */
  readonly requestedAtMs: number | null;
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
  let requestedAtMs: number | null = null;
  // The context once with a send that notes the first one, then the context itself.
  const watched = (ctx: Context): Context =>
    requestedAtMs !== null
      ? ctx
      : {
          ...ctx,
          send(to, body) {
            requestedAtMs ??= performance.now();
            ctx.send(to, body);
          },
        };
  const observed: ActorDefinition<unknown> = {
    ...definition,
    init: (ctx) => definition.init(watched(ctx)),
    onTimer: (state, timer, ctx) => definition.onTimer(state, timer, watched(ctx)),
    onMessage(state, message, ctx) {
      definition.onMessage(state, message, watched(ctx));
      check(state);
    },
  };
  const address = newOperatorAddress(options.names.cluster, options.connection.user);
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
  return {
    address,
    outcome,
    get requestedAtMs() {
      return requestedAtMs;
    },
    describe: () => host.describe(),
    stop: () => host.stop({ deleteQueue: true }),
  };
}
