import { z } from "zod";
import { Address } from "./address.js";

/** A numbered configuration: who is primary and who is backup. View 0 has neither. */
export const View = z.object({
  viewNum: z.int().min(0),
  primary: Address.nullable(),
  backup: Address.nullable(),
});
export type View = z.infer<typeof View>;

export const initialView: View = { viewNum: 0, primary: null, backup: null };

/** One line for a view, the same in logs, traces, counterexamples and the cluster's event lines. */
export function describeView(view: View): string {
  return `view ${view.viewNum} (${view.primary ?? "-"}, ${view.backup ?? "-"})`;
}
