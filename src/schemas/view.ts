import { z } from "zod";
import { Address } from "./address.js";

/**
 * A numbered configuration: who is primary and who is backup. View 0 has
 * neither. A protocol with more members than a primary and a backup (VR's
 * 2f+1 replicas) also lists them all in `replicas`, and the answering node
 * may say where it stands in `status`; pb sets neither.
 */
export const View = z.object({
  viewNum: z.int().min(0),
  primary: Address.nullable(),
  backup: Address.nullable(),
  /** Every node of the configuration, the primary included, in address order (server-1, server-2, …). */
  replicas: z.array(Address).optional(),
  /** The answering node's status in this view (VR: "normal", "view-change" or "recovering"). */
  status: z.string().min(1).max(64).optional(),
  /** Chain replication: the servers in chain order, head first (updates enter there, the tail answers). */
  chain: z.array(Address).max(64).optional(),
  /** Chain replication: a spare receiving the tail's state, to join as the next tail. */
  joining: Address.optional(),
  /** VR: the configuration's number (`replicas` are its members); views are compared within one epoch. */
  epoch: z.int().min(0).optional(),
});
export type View = z.infer<typeof View>;

export const initialView: View = { viewNum: 0, primary: null, backup: null };

/** The fields a view has, in a fixed order (`kv view`, the memory console): the optional ones only when present. */
export function viewFields(view: View): View {
  return {
    viewNum: view.viewNum,
    primary: view.primary,
    backup: view.backup,
    ...(view.replicas === undefined ? {} : { replicas: [...view.replicas] }),
    ...(view.status === undefined ? {} : { status: view.status }),
    ...(view.chain === undefined ? {} : { chain: [...view.chain] }),
    ...(view.joining === undefined ? {} : { joining: view.joining }),
    ...(view.epoch === undefined ? {} : { epoch: view.epoch }),
  };
}

/**
 * "3 (server-1, server-2)"; a view with replicas names its primary and them
 * (it has no one backup): "4 (primary server-2; replicas server-1 server-2 server-3; normal)".
 */
export function describeViewBrief(view: View): string {
  if (view.chain !== undefined) {
    const joining = view.joining === undefined ? "" : `; ${view.joining} joining`;
    return `${view.viewNum} (chain ${view.chain.length === 0 ? "-" : view.chain.join(" > ")}${joining})`;
  }
  const status = view.status === undefined ? "" : `; ${view.status}`;
  if (view.replicas === undefined)
    return `${view.viewNum} (${view.primary ?? "-"}, ${view.backup ?? "-"}${status})`;
  const backup = view.backup === null ? "" : `, backup ${view.backup}`;
  const epoch = view.epoch === undefined || view.epoch === 0 ? "" : ` epoch ${view.epoch}`;
  return `${view.viewNum}${epoch} (primary ${view.primary ?? "-"}${backup}; replicas ${view.replicas.join(" ")}${status})`;
}

/** One line for a view, the same in logs, traces, counterexamples and the cluster's event lines. */
export function describeView(view: View): string {
  return `view ${describeViewBrief(view)}`;
}

/** Every node a view names: its chain and joiner, or `replicas` when it has them, else its primary and backup. */
export function membersOf(view: View): Address[] {
  if (view.chain !== undefined)
    return view.joining === undefined ? [...view.chain] : [...view.chain, view.joining];
  if (view.replicas !== undefined) return [...view.replicas];
  return [view.primary, view.backup].filter((member): member is Address => member !== null);
}

/** Two views say the same (number, members, status). */
export function sameView(a: View, b: View): boolean {
  return describeViewBrief(a) === describeViewBrief(b);
}
