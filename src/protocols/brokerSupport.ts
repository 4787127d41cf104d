import type { ActorDefinition } from "../actors/context.js";
import type { MessageBase } from "../schemas/envelope.js";
import type { Address } from "../schemas/address.js";
import type { View } from "../schemas/view.js";
import type { ProtocolConfigBase } from "./protocol.js";

// What the broker runtime (src/broker, the CLI) asks of a protocol.

/** After the first answer to a view query, the others are awaited this long at most (ViewQuery). */
export const viewAnswerGraceMs = 50;

/**
 * How to learn the current configuration from outside (`npm run kv -- view`,
 * the library's `view()`, test harnesses, the bench, chaos, the dashboard).
 * The driver sends `request` to every node of `to(config)` and, from the answers that
 * arrive until all of them answered or `viewAnswerGraceMs` after the first
 * one, takes the view with the highest `viewNum` (the first of equals):
 * with one node that is its answer, as soon as it comes; with several (VR's
 * replicas, some of them down, behind or in a view change) it is the newest
 * configuration any of them holds. `src/broker/viewProbe.ts` does this for
 * every driver that asks once; the chaos observer, which polls, keeps the
 * newest statement of the highest view (src/chaos/observer.ts).
 */
export interface ViewQuery {
  /**
   * Who answers it in a cluster of this configuration (pb: [the view server];
   * VR: its `replicas` replicas); their `view` cluster events are the
   * configuration changes.
   */
  to(config: ProtocolConfigBase): readonly Address[];
  readonly request: MessageBase;
  /** The configuration in an answer from a node of `to`, or null when the body is not one. */
  viewOf(body: MessageBase): View | null;
}

export interface BrokerSupport {
  readonly viewQuery: ViewQuery;
  /**
   * The configuration serves with its full redundancy (pb: it has a primary
   * and a backup): a run may start its load, a failover may begin, the chaos
   * nemesis may take a member away.
   */
  ready(view: View): boolean;
  /**
   * Nodes beyond the layout that a running cluster may start on request (the
   * `start` control command, which `npm run reconfigure` sends to the
   * cluster's supervisor): VR's replica slots. None when absent.
   */
  startable?(config: ProtocolConfigBase): readonly Address[];
  /**
   * The configuration a client actor on the broker runs with, when it is not
   * the cluster's (VR: its last resort asks every replica slot, since a
   * reconfiguration may have moved the group beyond the slots it started with).
   */
  clientConfig?(config: ProtocolConfigBase): ProtocolConfigBase;
  /** `npm run reconfigure`'s part, for a protocol whose group changes at run time (VR). */
  readonly reconfiguration?: ReconfigurationSupport;
}

/** How `npm run reconfigure` ends: the new group runs, or nothing of the request was done. */
export type ReconfigureOutcome =
  | { kind: "running"; epoch: number; members: Address[] }
  /** The group refused it as invalid (too few members, the same members). */
  | { kind: "invalid"; reason: string }
  /** Another reconfiguration is under way or came first: ours was not taken. */
  | { kind: "busy"; reason: string };

/** The group a reconfiguration starts from, as the view query found it. */
export interface ReconfigureFrom {
  epoch: number;
  members: readonly Address[];
  viewNum: number;
}

/** A protocol whose group an operator changes at run time (VR's epochs): what `npm run reconfigure` runs. */
export interface ReconfigurationSupport {
  /** One node's own statement, whatever its status (VR: "spare" once a new replica is ready to join). */
  readonly slotQuery: ViewQuery;
  /** The status of a started node ready to be made a member. */
  readonly readyStatus: string;
  /**
   * The operator actor for one reconfiguration, from the group that runs to
   * `target`; `outcomeOf` reads its state after each event (null: not yet).
   */
  operator(
    config: ProtocolConfigBase,
    from: ReconfigureFrom,
    target: readonly Address[],
  ): {
    definition: ActorDefinition<unknown>;
    outcomeOf(state: unknown): ReconfigureOutcome | null;
  };
}
