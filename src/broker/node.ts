// One cluster node in this process: the view server or a server, on its own
// connection named `pbkv <cluster> <address>`. `src/cli/node.ts` runs it as a
// child process of `npm run cluster`, of the integration harness, or of a
// compose service.
import type { Logger } from "pino";
import type { ProtocolConfig } from "../protocols/pb/config.js";
import type { ActorDefinition } from "../actors/context.js";
import { createServer } from "../protocols/pb/server.js";
import { createViewServer } from "../protocols/pb/viewServer.js";
import { type Address, isServerAddress, viewServerAddress } from "../schemas/address.js";
import { ActorHost } from "./actorHost.js";
import { BrokerConnection } from "./connection.js";
import { type ClusterNames, topologyTable } from "./topology.js";

export type NodeRole = "viewserver" | "server";

export interface NodeOptions {
  role: NodeRole;
  address: Address;
  names: ClusterNames;
  url: string;
  config: ProtocolConfig;
  checkInvariants: boolean;
  log: Logger;
  onFatal: (error: Error) => void;
  /** Run this actor instead of the protocol's (the benchmark's relay actors, `src/bench/relayActors.ts`). */
  definition?: ActorDefinition<unknown>;
}

export interface RunningNode {
  host: ActorHost<unknown>;
  connection: BrokerConnection;
  stop(): Promise<void>;
}

export function checkNodeAddress(role: NodeRole, address: Address): void {
  if (role === "viewserver" && address !== viewServerAddress) {
    throw new Error(`the view server's address is "${viewServerAddress}", not "${address}"`);
  }
  if (role === "server" && !isServerAddress(address)) {
    throw new Error(`a server's address is server-<number>, not "${address}"`);
  }
}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  checkNodeAddress(options.role, options.address);
  const connection = await BrokerConnection.open({
    url: options.url,
    connectionName: `pbkv ${options.names.cluster} ${options.address}`,
    log: options.log,
    topology: topologyTable(options.names),
  });
  const definition =
    options.definition ??
    ((options.role === "viewserver"
      ? createViewServer(options.config)
      : createServer(options.config)) as ActorDefinition<unknown>);
  const host = new ActorHost<unknown>({
    names: options.names,
    address: options.address,
    definition,
    connection,
    log: options.log,
    checkInvariants: options.checkInvariants,
    onFatal: options.onFatal,
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
