// What `npm run compose:init` writes for compose.yaml (docs/SECURITY-compose.md):
// a secure cluster the broker container creates by itself at boot from a
// definitions file. Besides the vhost, users, permissions and limits that
// `npm run cluster` imports (src/security/definitions.ts), the file holds the
// cluster's shared exchanges, queues and bindings: a node user may not declare
// them (src/security/permissions.ts), and in compose no operator runs before
// the nodes. Nobody re-declares them either, so they are defined without
// `x-expires`. Each node gets its own URL in an env file; so does the operator,
// for the commands run from the host. Pure but for the randomness passed in.
import { assert } from "../actors/assert.js";
import { brokerMessageBytesMax } from "../broker/privateBroker.js";
import { type ClusterNames, type ExchangeSpec, type QueueSpec, topologyTable } from "../broker/topology.js";
import type { Address } from "../schemas/address.js";
import { clusterDefinitions, credentialOf, type Definitions, type RandomBytes } from "./definitions.js";
import type { Principal } from "./principal.js";
import { vhostOf } from "./principal.js";
import { accessUrl } from "./provision.js";

/** How the nodes reach the broker: its service name on compose's network. */
export const composeBrokerUrl = "amqp://rabbitmq:5672";
/** How the host reaches it: the port compose.yaml publishes. */
export const hostBrokerUrl = "amqp://127.0.0.1:5672";
/** Where compose.yaml mounts the definitions in the broker's container (rabbitmq.conf names it). */
export const definitionsMountPath = "/etc/rabbitmq/definitions.json";
export const definitionsFileName = "definitions.json";
export const brokerConfigFileName = "rabbitmq.conf";
export const operatorEnvFileName = "operator.env";
/** Readable by the broker's user in its container: it holds salted hashes of random passwords only. */
export const publicFileMode = 0o644;
/** Env files hold a password in clear: their owner's only. */
export const secretFileMode = 0o600;

export interface ExchangeDefinition {
  name: string;
  vhost: string;
  type: ExchangeSpec["type"];
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
}

export interface QueueDefinition {
  name: string;
  vhost: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: Record<string, unknown>;
}

export interface BindingDefinition {
  source: string;
  vhost: string;
  destination: string;
  destination_type: "queue";
  routing_key: string;
  arguments: Record<string, unknown>;
}

/** A secure cluster's definitions plus its shared topology: everything the broker needs at boot. */
export interface BrokerDefinitions extends Definitions {
  exchanges: ExchangeDefinition[];
  queues: QueueDefinition[];
  bindings: BindingDefinition[];
}

export interface ComposeFile {
  /** A file name inside the compose directory. */
  readonly name: string;
  readonly content: string;
  readonly mode: number;
  /** What it holds, in a few words (what the command prints). */
  readonly what: string;
}

export interface ComposeRequest {
  readonly names: ClusterNames;
  /** The nodes of the protocol's layout: each gets a broker user and an env file. */
  readonly nodes: readonly Address[];
  readonly random: RandomBytes;
}

/** The env file of node `address` (compose.yaml's `env_file` for its service). */
export function nodeEnvFileName(address: Address): string {
  return `${address}.env`;
}

/** Every file of the compose directory: definitions, broker config, one env file per node and the operator's. */
export function composeFiles(request: ComposeRequest): ComposeFile[] {
  const { names, nodes, random } = request;
  const vhost = vhostOf(names.cluster);
  const principals: Principal[] = [
    { kind: "operator" },
    ...nodes.map((address) => ({ kind: "node" as const, address })),
  ];
  const credentials = principals.map((principal) => credentialOf(names.cluster, principal, random));
  const definitions: BrokerDefinitions = {
    ...clusterDefinitions(names, credentials, random),
    ...topologyDefinitions(names),
  };
  const envFiles = credentials.map((credential) => {
    const { principal } = credential;
    const forHost = principal.kind === "operator";
    const url = accessUrl(forHost ? hostBrokerUrl : composeBrokerUrl, credential, vhost);
    const name = principal.kind === "node" ? nodeEnvFileName(principal.address) : operatorEnvFileName;
    const where = forHost ? "for this machine" : "for its container";
    const what = `RABBITMQ_URL of ${credential.user}, ${where}`;
    return { name, content: `RABBITMQ_URL=${url}\n`, mode: secretFileMode, what };
  });
  const { users, exchanges, queues, bindings } = definitions;
  const files: ComposeFile[] = [
    {
      name: definitionsFileName,
      content: `${JSON.stringify(definitions, null, 2)}\n`,
      mode: publicFileMode,
      what: `vhost ${vhost}, ${users.length} users (password hashes), their permissions and limits, ${exchanges.length} exchanges, ${queues.length} queues, ${bindings.length} bindings`,
    },
    {
      name: brokerConfigFileName,
      content: brokerConfig(),
      mode: publicFileMode,
      what: `load_definitions, max_message_size = ${brokerMessageBytesMax}`,
    },
    ...envFiles,
  ];
  assert(new Set(files.map((file) => file.name)).size === files.length, "compose: two files share a name");
  return files;
}

/** The broker's extra config: the definitions at boot, and the message bound the private broker has too. */
function brokerConfig(): string {
  return [
    "# Written by `npm run compose:init` (docs/SECURITY-compose.md); compose.yaml mounts it in conf.d.",
    `load_definitions = ${definitionsMountPath}`,
    `max_message_size = ${brokerMessageBytesMax}`,
    "",
  ].join("\n");
}

/** The cluster's shared exchanges, queues and bindings (topologyTable, without expiry) in the cluster's vhost. */
export function topologyDefinitions(
  names: ClusterNames,
): Pick<BrokerDefinitions, "exchanges" | "queues" | "bindings"> {
  const vhost = vhostOf(names.cluster);
  const table = topologyTable(names, { expiring: false });
  return {
    exchanges: table.exchanges.map((exchange) => exchangeDefinition(exchange, vhost)),
    queues: table.queues.map((queue) => queueDefinition(queue, vhost)),
    bindings: table.queues.flatMap((queue) =>
      queue.bindings.map((binding) => ({
        source: binding.exchange,
        vhost,
        destination: queue.name,
        destination_type: "queue" as const,
        routing_key: binding.routingKey,
        arguments: binding.args ?? {},
      })),
    ),
  };
}

function exchangeDefinition(exchange: ExchangeSpec, vhost: string): ExchangeDefinition {
  // amqplib's defaults: durable, not auto-deleted, not internal.
  const {
    durable = true,
    autoDelete = false,
    internal = false,
    alternateExchange,
    ...rest
  } = exchange.options;
  const { arguments: args = {}, ...unmapped } = rest;
  refuseUnmapped(exchange.name, unmapped);
  const alternate = alternateExchange === undefined ? {} : { "alternate-exchange": alternateExchange };
  return {
    name: exchange.name,
    vhost,
    type: exchange.type,
    durable,
    auto_delete: autoDelete,
    internal,
    arguments: { ...(args as Record<string, unknown>), ...alternate },
  };
}

function queueDefinition(queue: QueueSpec, vhost: string): QueueDefinition {
  const {
    durable = true,
    autoDelete = false,
    exclusive = false,
    arguments: args = {},
    ...unmapped
  } = queue.options;
  refuseUnmapped(queue.name, unmapped);
  // A definitions file cannot make an exclusive queue: it belongs to a connection.
  assert(!exclusive, `compose: shared queue ${queue.name} is exclusive`);
  return {
    name: queue.name,
    vhost,
    durable,
    auto_delete: autoDelete,
    arguments: args as Record<string, unknown>,
  };
}

/** An option this mapping does not translate would be silently lost: the topology and this file drifted apart. */
function refuseUnmapped(name: string, unmapped: object): void {
  const keys = Object.keys(unmapped);
  assert(keys.length === 0, `compose: ${name} has options the definitions do not map: ${keys.join(", ")}`);
}
