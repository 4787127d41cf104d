// One cluster node in this process: a node of the protocol's layout (for pb
// the view server or a server), on its own connection named
// `pbkv <cluster> <address>`. `src/cli/node.ts` runs it as a child process of
// `npm run cluster`, of the integration harness, or of a compose service.
import type { Logger } from "pino";
import type { ActorDefinition } from "../actors/context.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import { ActorHost } from "./actorHost.js";
import { BrokerConnection, brokerUserOfUrl } from "./connection.js";
import { type ClusterNames, topologyFor } from "./topology.js";
import { isPrincipalOf } from "../security/principal.js";

export interface NodeOptions {
  protocol: AnyProtocol;
  /** A name from `protocol.roles`. */
  role: string;
  address: Address;
  names: ClusterNames;
  url: string;
  config: ProtocolConfigBase;
  checkInvariants: boolean;
  log: Logger;
  onFatal: (error: Error) => void;
  /** What the actor emits (a VR replica's `retired`: the process stops). */
  onActorEvent?: (event: ActorEvent) => void;
  /** Run this actor instead of the protocol's (the benchmark's relay actors, `src/bench/relayActors.ts`). */
  definition?: ActorDefinition<unknown>;
}

export interface RunningNode {
  host: ActorHost<unknown>;
  connection: BrokerConnection;
  stop(): Promise<void>;
}

/** Throws a readable Error unless `role` is one of the protocol's and `address` is an address of it. */
export function checkNodeAddress(protocol: AnyProtocol, role: string, address: Address): void {
  if (!protocol.roles.some((spec) => spec.name === role)) {
    const roles = protocol.roles.map((spec) => spec.name).join(", ");
    throw new Error(`${protocol.name} has no role "${role}" (roles: ${roles})`);
  }
  if (protocol.roleOf(address) !== role) {
    const example = protocol.layout(1).find((node) => node.role === role)?.address;
    const like = example === undefined ? "" : ` (such as ${example})`;
    throw new Error(`"${address}" is not the address of a ${role}${like}`);
  }
}

/**
 * The address a node of `role` has when the role has a single node whatever
 * the number of servers (pb's view server), or undefined (it must be given).
 */
export function defaultNodeAddress(protocol: AnyProtocol, role: string): Address | undefined {
  const [one, two] = [1, 2].map((servers) => protocol.layout(servers).filter((node) => node.role === role));
  if (one?.length !== 1 || two?.length !== 1 || one[0]?.address !== two[0]?.address) return undefined;
  return one[0]?.address;
}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  checkNodeAddress(options.protocol, options.role, options.address);
  const connection = await BrokerConnection.open({
    url: options.url,
    connectionName: `pbkv ${options.names.cluster} ${options.address}`,
    log: options.log,
    topology: topologyFor(options.names, brokerUserOfUrl(options.url)),
    stampsUserId: isPrincipalOf(options.names.cluster, brokerUserOfUrl(options.url)),
  });
  const definition = options.definition ?? options.protocol.actor(options.role, options.config);
  const host = new ActorHost<unknown>({
    names: options.names,
    address: options.address,
    protocol: options.protocol,
    definition,
    connection,
    log: options.log,
    checkInvariants: options.checkInvariants,
    onFatal: options.onFatal,
    ...(options.onActorEvent === undefined ? {} : { onActorEvent: options.onActorEvent }),
  });
  await host.start();
  return {
    host,
    connection,
    async stop() {
      await host.stop({ deleteQueue: false });
      await connection.close();
    },
  };
}
