import type { Address } from "../../schemas/address.js";
import type { View } from "../../schemas/view.js";

// The chain as the master states it: a View (src/schemas/view.ts) whose
// `chain` lists the servers head first, with the head as its `primary` (the
// server updates go to) and no `backup`. A server's place in it is all the
// protocol's roles need.

export const masterAddress: Address = "master";

/** View 0: no chain yet. */
export const emptyChainView: View = { viewNum: 0, primary: null, backup: null, chain: [] };

export function chainOf(view: View): readonly Address[] {
  return view.chain ?? [];
}

export function headOf(view: View): Address | null {
  return chainOf(view)[0] ?? null;
}

export function tailOf(view: View): Address | null {
  return chainOf(view).at(-1) ?? null;
}

/** The server before `node` in the chain (null for the head, or when it is not in it). */
export function predecessorOf(view: View, node: Address): Address | null {
  const chain = chainOf(view);
  const index = chain.indexOf(node);
  return index > 0 ? chain[index - 1]! : null;
}

/** The server after `node`: its successor in the chain, or for the tail the joining server (null when none). */
export function successorOf(view: View, node: Address): Address | null {
  const chain = chainOf(view);
  const index = chain.indexOf(node);
  if (index < 0) return null;
  if (index === chain.length - 1) return view.joining ?? null;
  return chain[index + 1]!;
}

/** A chain view with these members, head first. */
export function chainView(viewNum: number, chain: readonly Address[], joining: Address | null): View {
  return {
    viewNum,
    primary: chain[0] ?? null,
    backup: null,
    chain: [...chain],
    ...(joining === null ? {} : { joining }),
  };
}

export type Place = "head" | "middle" | "tail" | "single" | "joining" | "spare";

/** Where `node` stands in `view`: "single" is head and tail at once (a chain of one). */
export function placeOf(view: View, node: Address): Place {
  if (view.joining === node) return "joining";
  const chain = chainOf(view);
  const index = chain.indexOf(node);
  if (index < 0) return "spare";
  if (chain.length === 1) return "single";
  if (index === 0) return "head";
  return index === chain.length - 1 ? "tail" : "middle";
}

export function isHeadPlace(place: Place): boolean {
  return place === "head" || place === "single";
}

export function isTailPlace(place: Place): boolean {
  return place === "tail" || place === "single";
}
