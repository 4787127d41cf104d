import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";
import type { Op } from "../schemas/op.js";
import type { SearchState } from "./state.js";
import type { World } from "./engine.js";
import type { InvariantName } from "./invariants.js";

// What a search test declares (DSLabs' SearchSettings and search tests): the
// nodes and workloads, then phases, each with the events it allows, a goal,
// prunes and bounds. A reach phase's goal state starts the next phase, which
// is how DSLabs gets deep into a run without exploring everything before it.

export interface ClientWorkload {
  client: Address;
  ops: Op[];
}

export interface WorldSpec {
  protocol: AnyProtocol;
  /** The protocol's layout with this many servers (pb: server-1 … server-N, besides the view server). */
  servers: number;
  clients: ClientWorkload[];
  /** Protocol settings (mutations included), made by `protocol.config.make`; timings do not matter to the search. */
  config: ProtocolConfigBase;
  /**
   * How client results are checked. `expected`: each client touches its own
   * keys, so every result must be what its own operations imply (cheap, at
   * each result). `history`: clients share keys; the history is kept in the
   * state and checked for linearizability at each result.
   */
  results: "expected" | "history";
  /**
   * What a restarted server receives. false (the broker's behaviour: server
   * queues are durable and outlive the process): messages sent to its previous
   * life stay deliverable. true: a restart purges them, as if the queue were new.
   */
  restartPurgesMessages?: boolean;
  /** Invariants not checked, to see what a client would see once one breaks (e.g. backupConsistent). */
  invariantsOff?: InvariantName[];
}

/** Which events a phase lets happen besides deliveries and timers. */
export interface EventPolicy {
  /** Clients start their next operation whenever idle. */
  invokes: boolean;
  /** Nodes that may crash (the view server and clients never do in these scenarios); stand-ins ("@…", SearchSupport.standIn) allowed. */
  crashable: readonly Address[];
  /** Most crashes in total since the initial state (restarts count separately). */
  crashesMax: number;
  restartsMax: number;
  /**
   * Synchronous timing for liveness: a timer fires only when the protocol
   * says it is fair (SearchSupport.timerIsFair; pb: the view server's check
   * waits until every live server it knows pinged, so it never declares a
   * running server dead). Without it (safety phases) timers fire at any time,
   * which covers any loss and delay of messages.
   */
  fairTimers: boolean;
  /** Clients that may start operations when `invokes` is on (default: every client). */
  invokers?: readonly Address[];
  /**
   * Links cut for the phase (both directions): their messages stay in the
   * network but are not delivered, as in a partition (DSLabs' directed
   * phases: "the primary is cut off from the view server"); stand-ins allowed.
   */
  cut?: readonly (readonly [Address, Address])[];
}

export const noFaults: EventPolicy = Object.freeze({
  invokes: true,
  crashable: [],
  crashesMax: 0,
  restartsMax: 0,
  fairTimers: false,
});

/** `start` is the state the phase started from, for goals like "the primary of the start state restarted". */
export type StatePredicate = (world: World, state: SearchState, start: SearchState) => boolean;

export interface NamedPredicate {
  name: string;
  test: StatePredicate;
}

export type PhaseKind =
  /** BFS until the goal: the goal must be reachable; its state starts the next phase. */
  | "reach"
  /** BFS, then random probes, within the bounds: no invariant may break. */
  | "explore"
  /** Exhaustive BFS with synchronous timing: the goal must be reachable, or it is a liveness violation. */
  | "recover";

export interface Phase {
  name: string;
  kind: PhaseKind;
  /**
   * Where the phase starts: the goal state of the previous reach phase
   * (default), of the reach phase with this name, or "initial".
   */
  startFrom?: string;
  goal?: NamedPredicate;
  /** States matching a prune are checked but not expanded. */
  prunes: NamedPredicate[];
  events: EventPolicy;
  /** Steps beyond the phase's start state. */
  depthMax: number;
  statesMax: number;
  secondsMax: number;
  /** Explore phases: random walks after the BFS, this deep, for this long. */
  probes?: { depthMax: number; secondsMax: number };
}

export interface Scenario {
  name: string;
  /** What it shows, after which DSLabs / MIT test. */
  description: string;
  /** The world without its protocol (the scenario's own); `config`: overrides for `protocol.config.make`. */
  world: Omit<WorldSpec, "config" | "protocol"> & { config?: Readonly<Record<string, unknown>> };
  phases: Phase[];
}
