import type { z } from "zod";
import type { ActorDefinition, ClientDefinition } from "../actors/context.js";
import type { Address } from "../schemas/address.js";
import type { Envelope, MessageBase, TimerBase } from "../schemas/envelope.js";
import type { BenchSupport } from "./benchSupport.js";
import type { BrokerSupport } from "./brokerSupport.js";
import type { ChaosSupport } from "./chaosSupport.js";
import type { DashboardSupport } from "./dashboardSupport.js";
import type { SearchSupport } from "./searchSupport.js";
import type { SimSupport } from "./simSupport.js";

// A replication protocol as the drivers see it (docs/DESIGN.md, "Adding a
// protocol"). Each protocol lives in its own folder under src/protocols/ and
// exports one object of this type; the registry (registry.ts) names them.
// Drivers (simulator, model checker, broker, memory transport, chaos, bench,
// dashboard, CLI) reach a protocol only through this interface, never through
// its files, the way etcd's raft is driven through Step/Tick/Ready.

/** One kind of node a protocol runs besides clients. */
export interface RoleSpec {
  /** As in ActorDefinition.kind and the `--role` of `npm run node`. */
  readonly name: string;
  /** One line for help texts and the dashboard. */
  readonly summary: string;
  /** Losing it is a fault the protocol claims to survive: the chaos nemesis and the simulator crash only these. */
  readonly crashable: boolean;
  /** Supervisors restart its process under the same name after it exits. */
  readonly restartable: boolean;
  /** When not restartable: why, for the supervisor's "left dead" line (e.g. "the views died with it"). */
  readonly notRestartedBecause?: string;
}

/** A node of a cluster: its address and the role it plays. */
export interface NodeSpec {
  readonly address: Address;
  readonly role: string;
}

/** What every protocol's configuration has; the rest is the protocol's own. */
export interface ProtocolConfigBase {
  /** A client re-asks and resends after this long without an answer. */
  readonly clientRetryMs: number;
  /** Planted bugs (names from `config.mutations`); empty in every real run. */
  readonly mutations: readonly string[];
}

/** One numeric setting a user may change from the command line (`npm run node -- --forward-window 4`). */
export interface ConfigOption {
  /** The flag without dashes, e.g. "forward-window". */
  readonly flag: string;
  /** The configuration field it sets. */
  readonly field: string;
  readonly description: string;
  readonly min: number;
  readonly max?: number;
  /** Clients must be given the cluster's value too (client commands and the library take it). */
  readonly clients?: boolean;
}

export interface ConfigSupport<Config extends ProtocolConfigBase> {
  readonly defaults: Config;
  /** The defaults with `overrides`, checked (throws a readable Error on a bad combination). */
  make(overrides?: Partial<Config>): Config;
  readonly options: readonly ConfigOption[];
  /** Every planted bug this protocol has, for `--mutation` and the mutant tests. */
  readonly mutations: readonly string[];
  /** At most this long after a server crashes, the protocol has noticed (drivers size their waits with it). */
  failureDetectionMs(config: Config): number;
  /**
   * The server count this configuration fixes (VR: its `replicas` and
   * `spares`, which clients need too), for `layout(servers)`; absent when the drivers choose
   * it (pb: `--servers`). Drivers that take a server count use it, and refuse
   * an explicit `--servers` that differs (`serverCount` in configOptions.ts).
   */
  servers?(config: Config): number;
}

/**
 * A property of the whole cluster at one moment (DESIGN §1, e.g. "a backup
 * never holds an operation its primary does not"): checked on the states of
 * the live nodes by the simulator after every event, by the model checker on
 * every state and by the memory transport in debug mode.
 */
export interface ClusterInvariant {
  readonly name: string;
  /**
   * The roles whose states it reads (default: every role): it cannot change
   * after an event of any other node (the simulator skips it then), and the
   * model checker memoizes its verdict on these nodes' states.
   */
  readonly roles?: readonly string[];
  /** null when it holds; otherwise why not, in one line. */
  check(nodes: ReadonlyMap<Address, LiveNode>): string | null;
}

/**
 * What nodes at the same point of the protocol must hold alike: the form of a
 * cluster invariant that needs no consistent cut, for hosts whose nodes live
 * in separate processes (the broker with `--debug`). Each node publishes
 * (point, digest) when its point moves; two nodes that reach the same point
 * must publish the same digest, whenever each got there.
 */
export interface StateAgreement {
  readonly name: string;
  /** Where the state is (pb: its view and the log positions applied), or null when it holds nothing to compare. */
  pointOf(role: string, state: unknown): string | null;
  /** What must be equal at that point (pb: the store and the session table), short. */
  digestOf(role: string, state: unknown): string;
}

export interface LiveNode {
  readonly role: string;
  readonly state: unknown;
}

export interface Protocol<Config extends ProtocolConfigBase = ProtocolConfigBase> {
  /** `--protocol NAME`. */
  readonly name: string;
  /** One line: what it is, for `--help` and the dashboard. */
  readonly title: string;
  /** Every message body, a discriminated union on `type`. */
  readonly messages: z.ZodType<MessageBase>;
  /** Every timer, a discriminated union on `type`. */
  readonly timers: z.ZodType<TimerBase>;
  /** The wire form: the envelope with this protocol's bodies (hosts validate everything with it). */
  readonly envelope: z.ZodType<Envelope>;
  readonly roles: readonly RoleSpec[];
  /**
   * The nodes of a cluster with `servers` servers, in the order to start
   * them; given the configuration, also the nodes it asks for (VR: the
   * operator of planned reconfigurations, in the simulator and model checker).
   */
  layout(servers: number, config?: Config): readonly NodeSpec[];
  /** The role of a node by its address ("client" for client addresses), or null for an address no node may have. */
  roleOf(address: Address): string | null;
  readonly config: ConfigSupport<Config>;
  /** The actor of a role (a name from `roles`). */
  actor(role: string, config: Config): ActorDefinition<unknown>;
  /** The client actor (linearizable get/put/append, one outstanding operation). */
  client(config: Config): ClientDefinition<unknown>;
  /** One deterministic line for logs, traces and counterexamples. */
  describeMessage(message: Pick<Envelope, "from" | "to" | "viewNum" | "body">): string;
  readonly clusterInvariants: readonly ClusterInvariant[];
  /** The cluster invariants' cut-free form for nodes in separate processes; null when the protocol has none. */
  readonly agreement: StateAgreement | null;
  readonly sim: SimSupport<Config>;
  readonly search: SearchSupport<Config>;
  readonly chaos: ChaosSupport;
  readonly dashboard: DashboardSupport;
  readonly broker: BrokerSupport;
  readonly bench: BenchSupport;
}

/** A protocol whose configuration type the caller does not know (what drivers hold). */
export type AnyProtocol = Protocol<ProtocolConfigBase>;
