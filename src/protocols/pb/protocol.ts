import { isClientAddress, isServerAddress, serverAddress, viewServerAddress } from "../../schemas/address.js";
import { envelopeSchema } from "../../schemas/envelope.js";
import { forwardBatchMax, forwardWindowMax } from "../../schemas/limits.js";
import type { Protocol, RoleSpec } from "../protocol.js";
import type { ActorDefinition } from "./actor.js";
import { pbAgreement } from "./agreement.js";
import { createClient } from "./client.js";
import { defaultConfig, makeConfig, mutationNames, type ProtocolConfig } from "./config.js";
import { describeMessage } from "./describe.js";
import { pbClusterInvariants } from "./invariants.js";
import { MessageBody } from "./messages.js";
import { pbBench } from "./parts/bench.js";
import { pbBroker } from "./parts/broker.js";
import { pbChaos } from "./parts/chaos.js";
import { pbDashboard } from "./parts/dashboard.js";
import { pbSearch } from "./parts/search.js";
import { pbSim } from "./parts/sim.js";
import { createServer } from "./server.js";
import { Timer } from "./timers.js";
import { createViewServer } from "./viewServer.js";

// Primary/backup with a view server (MIT 6.824 lab 2, DSLabs lab 2; DESIGN
// §1): the drivers' entry to it. Everything a driver needs is reached from
// this object; nothing else in this folder is imported from outside it.

const roles: readonly RoleSpec[] = [
  {
    name: "viewserver",
    summary: "decides the views (primary, backup) from the servers' pings; a single point of failure",
    crashable: false,
    restartable: false,
    // A fresh view server starts again at view 1, which servers in a later view ignore: no way back.
    notRestartedBecause: "the views died with it (the view server is the protocol's single point of failure)",
  },
  {
    name: "server",
    summary: "primary, backup or idle, as the view says",
    crashable: true,
    restartable: true,
  },
];

export const pbProtocol: Protocol<ProtocolConfig> = {
  name: "pb",
  title: "primary/backup with a view server",
  messages: MessageBody,
  timers: Timer,
  envelope: envelopeSchema(MessageBody),
  roles,
  layout: (servers) => [
    { address: viewServerAddress, role: "viewserver" },
    ...Array.from({ length: servers }, (_, i) => ({ address: serverAddress(i + 1), role: "server" })),
  ],
  roleOf(address) {
    if (address === viewServerAddress) return "viewserver";
    if (isServerAddress(address)) return "server";
    return isClientAddress(address) ? "client" : null;
  },
  config: {
    defaults: defaultConfig,
    make: makeConfig,
    options: [
      { flag: "ping-ms", field: "pingMs", description: "servers ping the view server this often", min: 1 },
      {
        flag: "ping-check-ms",
        field: "pingCheckMs",
        description: "the view server checks for dead servers this often",
        min: 2,
      },
      {
        flag: "forward-batch-max",
        field: "forwardBatchMax",
        description: "most operations in one Forward",
        min: 1,
        max: forwardBatchMax,
      },
      {
        flag: "forward-window",
        field: "forwardWindow",
        description: "most Forward messages in flight",
        min: 1,
        max: forwardWindowMax,
      },
      {
        flag: "session-expiry-ms",
        field: "sessionExpiryMs",
        description: "servers forget a client session idle this long (the same on every node of a cluster)",
        min: 1,
        // Clients open their session again after half of it idle.
        clients: true,
      },
    ],
    mutations: mutationNames,
    // A server that stops pinging is declared dead at the second check after its last ping.
    failureDetectionMs: (config) => 2 * config.pingCheckMs,
  },
  actor(role, config) {
    const definition: ActorDefinition<unknown> | null =
      role === "viewserver"
        ? (createViewServer(config) as ActorDefinition<unknown>)
        : role === "server"
          ? (createServer(config) as ActorDefinition<unknown>)
          : null;
    if (definition === null) throw new Error(`pb has no role "${role}" (roles: viewserver, server)`);
    return definition;
  },
  client: (config) => createClient(config) as ReturnType<Protocol["client"]>,
  // Hosts validate every envelope with `envelope` above, so the body is one of pb's.
  describeMessage: (message) => describeMessage(message as Parameters<typeof describeMessage>[0]),
  clusterInvariants: pbClusterInvariants,
  agreement: pbAgreement,
  sim: pbSim,
  search: pbSearch,
  chaos: pbChaos,
  dashboard: pbDashboard,
  broker: pbBroker,
  bench: pbBench,
};
