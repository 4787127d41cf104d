import { isClientAddress } from "../../schemas/address.js";
import { envelopeSchema } from "../../schemas/envelope.js";
import { forwardBatchMax, forwardWindowMax, replicaSlotsMax } from "../../schemas/limits.js";
import type { ActorDefinition } from "../../actors/context.js";
import type { Protocol, RoleSpec } from "../protocol.js";
import { createVrClient } from "./client.js";
import { makeVrConfig, vrDefaultConfig, vrMutationNames, type VrConfig } from "./config.js";
import { describeVrMessage } from "./describe.js";
import { vrAgreement, vrClusterInvariants } from "./invariants.js";
import { VrMessage, VrTimer } from "./messages.js";
import { vrBench } from "./parts/bench.js";
import { vrBroker } from "./parts/broker.js";
import { vrChaos } from "./parts/chaos.js";
import { vrDashboard } from "./parts/dashboard.js";
import { vrSearch } from "./parts/search.js";
import { vrSim } from "./parts/sim.js";
import { replicaAddress, replicaIndex } from "./members.js";
import { createOperator } from "./operator.js";
import { createReplica } from "./replica.js";

// Viewstamped Replication (Liskov & Cowling 2012; docs/VR.md): the drivers'
// entry to it. Nothing else in this folder is imported from outside it.

const roles: readonly RoleSpec[] = [
  {
    name: "replica",
    summary: "one of 2f+1 replicas: primary of the views numbered like it (mod n), a backup in the others",
    crashable: true,
    restartable: true,
  },
  {
    name: "operator",
    summary:
      "asks for reconfigurations and checks their epochs run (simulator and model checker; npm run reconfigure)",
    crashable: false,
    restartable: false,
    notRestartedBecause: "it runs one reconfiguration plan",
  },
];

/** The operator node's address in simulated clusters. */
const operatorAddress = "operator";

export const vrProtocol: Protocol<VrConfig> = {
  name: "vr",
  title: "Viewstamped Replication (2f+1 replicas, no view server)",
  messages: VrMessage,
  timers: VrTimer,
  envelope: envelopeSchema(VrMessage),
  roles,
  layout(servers, config) {
    const replicas = Array.from({ length: servers }, (_, i) => ({
      address: replicaAddress(i),
      role: "replica",
    }));
    const plan = (config as VrConfig | undefined)?.operator ?? [];
    return plan === "random" || plan.length > 0
      ? [...replicas, { address: operatorAddress, role: "operator" }]
      : replicas;
  },
  roleOf(address) {
    if (replicaIndex(address) !== null) return "replica";
    if (address === operatorAddress) return "operator";
    return isClientAddress(address) ? "client" : null;
  },
  config: {
    defaults: vrDefaultConfig,
    make: makeVrConfig,
    options: [
      {
        flag: "replicas",
        field: "replicas",
        description: "replicas the cluster starts with (2f+1, epoch 0; clients need it too)",
        min: 1,
        max: replicaSlotsMax,
        clients: true,
      },
      {
        flag: "spares",
        field: "spares",
        description: "idle replica slots started besides them, for reconfigurations to add",
        min: 0,
        max: replicaSlotsMax - 1,
        clients: true,
      },
      {
        flag: "tick-ms",
        field: "tickMs",
        description: "replicas run their timers (heartbeats, resends) this often",
        min: 1,
      },
      {
        flag: "view-change-timeout-ms",
        field: "viewChangeTimeoutMs",
        description: "a backup that hears nothing from its primary this long starts a view change",
        min: 3,
      },
      {
        flag: "prepare-batch-max",
        field: "prepareBatchMax",
        description: "most operations in one Prepare",
        min: 1,
        max: forwardBatchMax,
      },
      {
        flag: "prepare-window",
        field: "prepareWindow",
        description: "most Prepares out at once (their entries within 256 KiB together)",
        min: 1,
        max: forwardWindowMax,
      },
      {
        flag: "checkpoint-entries",
        field: "checkpointEntries",
        description:
          "committed entries the log keeps at least (twice as many at most); a replica behind by more gets a snapshot",
        min: 1,
      },
      {
        flag: "session-expiry-ms",
        field: "sessionExpiryMs",
        description: "replicas forget a client session idle this long (the same on every node)",
        min: 1,
        clients: true,
      },
    ],
    mutations: vrMutationNames,
    // Backups notice a silent primary after the timeout, and the view change takes about one more.
    failureDetectionMs: (config) => 2 * config.viewChangeTimeoutMs,
    // The configuration names its replica slots: every driver starts exactly these (members and spares).
    servers: (config) => config.replicas + config.spares,
  },
  actor(role, config) {
    if (role === "replica") return createReplica(config) as ActorDefinition<unknown>;
    if (role === "operator") return createOperator(config) as ActorDefinition<unknown>;
    throw new Error(`vr has no role "${role}" (roles: replica, operator)`);
  },
  client: (config) => createVrClient(config) as ReturnType<Protocol["client"]>,
  describeMessage: (message) => describeVrMessage(message as Parameters<typeof describeVrMessage>[0]),
  clusterInvariants: vrClusterInvariants,
  agreement: vrAgreement,
  sim: vrSim,
  search: vrSearch,
  chaos: vrChaos,
  dashboard: vrDashboard,
  broker: vrBroker,
  bench: vrBench,
};
