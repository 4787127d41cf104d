import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Address } from "../schemas/address.js";
import type { Envelope, TimerBase } from "../schemas/envelope.js";
import type { Hasher } from "../search/hash.js";
import type { Scenario } from "../search/scenario.js";

// What the model checker (src/search) asks of a protocol beyond its actors.
// The search's own generic parts stay in src/search (engine, BFS and probes,
// minimizer, traces); a protocol supplies how to copy and hash its states,
// the rules it holds single steps to, its scenarios and its planted bugs.

/** A planted bug and the search that catches it (the mutant tests and docs/RULES.md read this table). */
export interface PlantedBugCatch {
  /** A name from `config.mutations`. */
  mutant: string;
  scenario: string;
  /** The invariant it breaks: a generic one (actor, linearizable, onePrimaryPerView, liveness) or the protocol's. */
  invariant: string;
  /** What the counterexample shows, in one line. */
  shows: string;
  /**
   * Set when the search cannot settle it and the simulator catches it instead
   * (its test named here): why, in one line. The search scenario still shows
   * the correct protocol does what the bug breaks.
   */
  simulatorOnly?: { test: string; why: string };
}

/** One node's step, as the protocol's step rules see it. */
export interface SearchStep {
  readonly address: Address;
  readonly role: string;
  /** The node's state before and after the step (null: down). Never mutate either. */
  readonly before: unknown;
  readonly after: unknown;
  /** The message the step handled, if it was a delivery. */
  readonly delivered: Envelope | undefined;
  readonly events: readonly ActorEvent[];
}

/** A rule about one step (how a state may change), beside the cluster invariants (what any state must hold). */
export interface StepRule {
  readonly name: string;
  /** The roles whose steps it judges (default: every role); the search skips it for the others. */
  readonly roles?: readonly string[];
  /** null when the step keeps the rule; otherwise why not, in one line. */
  check(step: SearchStep): string | null;
}

export interface SearchSupport<_Config> {
  readonly scenarios: readonly Scenario[];
  readonly plantedBugs: readonly PlantedBugCatch[];
  readonly stepRules: readonly StepRule[];
  /** A copy of `state` (of `role`) that shares nothing the actors mutate; faster than structuredClone. */
  clone(role: string, state: unknown): unknown;
  /** Feeds `state` to `h`: equal states hash equal (Maps in a canonical order). */
  hash(h: Hasher, role: string, state: unknown): void;
  hashTimer(h: Hasher, timer: TimerBase): void;
  /** Throws when a fresh state has a field `clone` and `hash` do not know (a new field must be cloned and hashed). */
  checkShape(role: string, state: unknown): void;
  /** How many operations a client state has taken so far (the search hands each client its scripted operations in order). */
  invoked(client: unknown): number;
  /**
   * Under synchronous timing (a phase's `fairTimers`): may this node's next
   * timer fire now? pb: the view server's check waits until every live server
   * pinged, so it never declares a running server dead.
   */
  timerIsFair(
    address: Address,
    role: string,
    state: unknown,
    stateOf: (address: Address) => unknown,
  ): boolean;
  /**
   * A stand-in address in a phase (e.g. pb's "@start-primary"), resolved in
   * the phase's start state; null when `name` is none of the protocol's.
   */
  standIn(name: string, stateOf: (address: Address) => unknown): Address | null;
}
