import { isClientAddress, isServerAddress, serverAddress } from "../../schemas/address.js";
import { envelopeSchema } from "../../schemas/envelope.js";
import { forwardBatchMax, forwardWindowMax } from "../../schemas/limits.js";
import type { ActorDefinition } from "../../actors/context.js";
import type { Protocol, RoleSpec } from "../protocol.js";
import { createChainClient } from "./client.js";
import { type ChainConfig, chainDefaultConfig, chainMutationNames, makeChainConfig } from "./config.js";
import { describeChainMessage } from "./describe.js";
import { chainAgreement, chainClusterInvariants } from "./invariants.js";
import { createMaster } from "./master.js";
import { ChainMessage } from "./messages.js";
import { chainBench } from "./parts/bench.js";
import { chainBroker } from "./parts/broker.js";
import { chainChaos } from "./parts/chaos.js";
import { chainDashboard } from "./parts/dashboard.js";
import { chainSearch } from "./parts/search.js";
import { chainSim } from "./parts/sim.js";
import { createChainServer } from "./server.js";
import { ChainTimer } from "./timers.js";
import { masterAddress } from "./view.js";

// Chain replication (van Renesse & Schneider, OSDI 2004; docs/CHAIN.md): the
// drivers' entry to it. Nothing else in this folder is imported from outside it.

const roles: readonly RoleSpec[] = [
  {
    name: "master",
    summary: "detects failures by pings and relinks the chain, one change per view",
    crashable: false,
    restartable: false,
    notRestartedBecause: "the chain's configuration died with it",
  },
  {
    name: "server",
    summary: "a link of the chain (head, middle or tail), a server joining as the tail, or a spare",
    crashable: true,
    restartable: true,
  },
];

export const chainProtocol: Protocol<ChainConfig> = {
  name: "chain",
  title: "Chain replication (a master relinks a chain: updates at the head, reads at the tail)",
  messages: ChainMessage,
  timers: ChainTimer,
  envelope: envelopeSchema(ChainMessage),
  roles,
  layout: (servers) => [
    { address: masterAddress, role: "master" },
    ...Array.from({ length: servers }, (_, i) => ({ address: serverAddress(i + 1), role: "server" })),
  ],
  roleOf(address) {
    if (address === masterAddress) return "master";
    if (isServerAddress(address)) return "server";
    return isClientAddress(address) ? "client" : null;
  },
  config: {
    defaults: chainDefaultConfig,
    make: makeChainConfig,
    options: [
      {
        flag: "chain-length",
        field: "chainLength",
        description: "servers linked into the chain (the rest are spares)",
        min: 1,
        max: 9,
      },
      {
        flag: "ping-ms",
        field: "pingMs",
        description: "servers ping the master (and resend) this often",
        min: 1,
      },
      {
        flag: "ping-check-ms",
        field: "pingCheckMs",
        description: "the master declares dead a server silent for a whole check this long",
        min: 2,
      },
      {
        flag: "forward-batch-max",
        field: "forwardBatchMax",
        description: "most updates in one Forward",
        min: 1,
        max: forwardBatchMax,
      },
      {
        flag: "forward-window",
        field: "forwardWindow",
        description: "most Forward batches unacknowledged on each link (the rest waits for the next batch)",
        min: 1,
        max: forwardWindowMax,
      },
      {
        flag: "sent-max",
        field: "sentMax",
        description: "most updates in the head's Sent list before it answers Busy",
        min: forwardBatchMax,
      },
      {
        flag: "session-expiry-ms",
        field: "sessionExpiryMs",
        description: "servers forget a client session idle this long (the same on every node)",
        min: 1,
        clients: true,
      },
    ],
    mutations: chainMutationNames,
    // The master notices a silent server within two checks.
    failureDetectionMs: (config) => 2 * config.pingCheckMs,
  },
  actor(role, config) {
    if (role === "master") return createMaster(config) as ActorDefinition<unknown>;
    if (role === "server") return createChainServer(config) as ActorDefinition<unknown>;
    throw new Error(`chain has no role "${role}" (roles: master, server)`);
  },
  client: (config) => createChainClient(config) as ReturnType<Protocol["client"]>,
  describeMessage: (message) => describeChainMessage(message as Parameters<typeof describeChainMessage>[0]),
  clusterInvariants: chainClusterInvariants,
  agreement: chainAgreement,
  sim: chainSim,
  search: chainSearch,
  chaos: chainChaos,
  dashboard: chainDashboard,
  broker: chainBroker,
  bench: chainBench,
};
