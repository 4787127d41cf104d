import type { Address } from "../schemas/address.js";
import type { MessageBase } from "../schemas/envelope.js";
import type { View } from "../schemas/view.js";
import type { NodeSpec } from "./protocol.js";

// What chaos runs on the real broker (src/chaos) ask of a protocol: how to
// follow the cluster from outside, which partition is its hard case, how its
// nodes are named in the run's timeline, and the hostile but well-formed
// messages of the garbage campaign, and the nemesis's fault model: the role a
// node plays in a view, which losses the protocol survives now, and when the
// cluster has recovered from one. Which nodes may be crashed comes from
// `RoleSpec.crashable`; how long a failure takes to notice from
// `config.failureDetectionMs`; how to ask for the configuration from
// `broker.viewQuery`; whether a view has its full redundancy from
// `broker.ready`.

/** The seeded choices of a run (src/sim/random.ts has them all). */
export interface ChaosRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** A server's sign of life, as seen in a message to a watched node. */
export interface Heartbeat {
  /** The configuration the sender says it has (a view number). */
  readonly viewNum: number;
  /** The sender's incarnation: a new one after every restart. */
  readonly incarnation: number;
}

/** The configuration in an answer to `broker.viewQuery`. */
export interface ConfigurationReport {
  readonly view: View;
  /**
   * The incarnation of the view's primary the configuration was made with:
   * the view is settled (its primary has taken it up) once a heartbeat of
   * that incarnation acknowledging this view number is seen. Null: not yet.
   */
  readonly primaryIncarnation: number | null;
}

/**
 * Whether a tapped node was sent a heartbeat from `node` for view `viewNum`,
 * of the incarnation `incarnation` (null: of any incarnation).
 */
export type HeardCheck = (node: Address, viewNum: number, incarnation: number | null) => boolean;

/** How the chaos observer (src/chaos/observer.ts) follows a cluster it does not control. */
export interface ChaosWatch {
  /** Nodes whose incoming traffic the observer copies (pb: the view server, which every server pings). */
  readonly tapped: readonly Address[];
  /** The heartbeat in a message to a tapped node (pb: a Ping), or null for any other message. */
  heartbeat(body: MessageBase): Heartbeat | null;
  /** The configuration in an answer to `broker.viewQuery`, or null when the body is not one. */
  report(body: MessageBase): ConfigurationReport | null;
  /**
   * The nodes that must take the configuration up have done so, as the
   * heartbeats tapped show (pb: its primary, of the incarnation the view was
   * made with, acknowledged it, which is what lets the view server change
   * views again). A view is settled when it is `broker.ready` and taken up.
   */
  takenUp(report: ConfigurationReport, heard: HeardCheck): boolean;
}

/** A loss of a node the nemesis inflicted (a crash, SIGKILL, restart or connection kill) that counts. */
export interface ChaosLoss {
  readonly node: Address;
  /** The view it was lost in. */
  readonly viewNum: number;
  /** When (epoch ms, the clock nodes stamp `sentAt` with). */
  readonly atEpochMs: number;
}

/** A node's latest answer to the observer's view watch (`broker.viewQuery`): the view it holds, and its status. */
export interface NodeAnswer {
  readonly view: View;
  /** When the node sent it (epoch ms). */
  readonly sentAtEpochMs: number;
}

/** The configuration as the nemesis last saw it. */
export interface SettledView {
  /** The highest view the answering nodes hold. */
  readonly view: View;
  /** `broker.ready(view)` and `watch.takenUp`. */
  readonly settled: boolean;
  /**
   * A node's own latest answer to the view watch, or null (never answered,
   * or not asked: pb's servers). With several answering nodes (VR's
   * replicas) it tells, e.g., whether a restarted one is normal again since
   * its loss (`sentAtEpochMs` after `ChaosLoss.atEpochMs`).
   */
  latestAnswer(node: Address): NodeAnswer | null;
}

/** What the nemesis knows when it weighs losing a node now (src/chaos/nemesis.ts). */
export interface LossSituation extends SettledView {
  /**
   * Up as the nemesis counts it: not crashed or killed by it, its process
   * running and connected, heard from lately (a heartbeat to a tapped node,
   * or an answer to the view watch).
   */
  isLive(node: Address): boolean;
  /** How the nemesis sees a node, for a refusal's reason ("crashed, process running, last ping 80 ms ago"). */
  liveness(node: Address): string;
  /** Earlier losses the cluster has not `recovered` from, oldest first (a connection kill nobody noticed is none). */
  readonly unrecovered: readonly ChaosLoss[];
  /**
   * While a reconfiguration the nemesis asked for is not yet known to run
   * (`npm run chaos -- --reconfigure`; VR: its CheckEpoch unanswered), the
   * group it replaces: the new members fetch their state from it, so the
   * fault model keeps it within its bound too. Null otherwise.
   */
  readonly groupBefore: readonly Address[] | null;
}

/**
 * The fault model's answer before the nemesis loses a node: "free" (at any
 * time, nothing to recover: pb's idle servers), "counted" (within the fault
 * model now, and the cluster recovers from it until `recovered`: the nemesis
 * then caps message loss and makes no partition), or "refused" with why
 * (one phrase for the run's timeline: "no backup"). As SimFaultModel.crash.
 */
export type LossVerdict =
  | { readonly kind: "free" }
  | { readonly kind: "counted" }
  | { readonly kind: "refused"; readonly why: string };

/** The chaos nemesis's fault model (DESIGN §4: which losses the protocol claims to survive). */
export interface ChaosFaults {
  /** The roles a node may play in a view, as the loss counters and the run's summary name them, in its order (pb: primary, backup, idle). */
  readonly viewRoles: readonly string[];
  /** The role a node of a crashable role plays in `view`: one of `viewRoles`. */
  roleIn(view: View, node: Address): string;
  /**
   * Whether `victim` may be lost now: a node of a crashable role, or an
   * uncrashable node's broker connection (pb: the view server may drop
   * either the primary or the backup on reconnect, so that is counted too).
   * The nemesis adds its own refusals to a counted loss: none while a
   * partition is on or an uncrashable node reconnects.
   */
  lossVerdict(victim: Address, situation: LossSituation): LossVerdict;
  /** The cluster has recovered from `loss` (pb: a later view is settled); it then no longer counts. */
  recovered(loss: ChaosLoss, now: SettledView): boolean;
}

/** A partition of one node from the nodes it depends on (pb: the primary from the view server). */
export interface ChaosPartition {
  readonly isolated: Address;
  /** The other side; every node in neither group is untouched (clients still reach `isolated`). */
  readonly from: readonly Address[];
}

/** What the hostile messages are built from: the cluster as it is now, and the run's choices. */
export interface HostileInput {
  /** The garbage marker: hostile messages carry it (as their id, and in a value where they have one). */
  readonly marker: string;
  readonly nodes: readonly NodeSpec[];
  /** The current configuration, if the observer knows it. */
  readonly view: View | null;
  readonly random: ChaosRandom;
}

/** A well-formed message a node must refuse by protocol (not reject at the boundary). */
export interface HostileMessage {
  /** Names it in the garbage report, e.g. "ping-of-a-future-view". */
  readonly kind: string;
  readonly from: Address;
  readonly to: Address;
  readonly viewNum: number;
  readonly body: MessageBase;
}

/** A body the protocol's schema refuses, for the garbage campaign's invalid input. */
export interface InvalidBody {
  /** Names it in the garbage report, e.g. "forward-empty". */
  readonly kind: string;
  /** Built only when picked (some are big). */
  body(): unknown;
}

export interface ChaosSupport {
  readonly watch: ChaosWatch;
  readonly faults: ChaosFaults;
  /**
   * The partition the nemesis makes in `view`, the case the protocol must
   * survive without mistaking it for a crash (pb: the primary cut off from
   * the view server only, MIT's Partition1/2); null when `view` offers none.
   */
  partition(view: View): ChaosPartition | null;
  /** How the timeline names a node ("the view server"); an address names itself. */
  nodeName(address: Address): string;
  /** Every hostile message the campaign may send now (it picks one). */
  hostileToNodes(input: HostileInput): HostileMessage[];
  /** A hostile message for the client `client` (a reply never asked for, a configuration from an impostor). */
  hostileToClient(input: HostileInput, client: Address): HostileMessage;
  /** A well-formed body any sender may send any node, harmless (pb: GetView): the valid part of invalid envelopes. */
  readonly harmlessBody: MessageBase;
  /** Bodies the protocol's schema refuses (bad fields of its messages). */
  invalidBodies(marker: string): InvalidBody[];
}
