import type { Address } from "../../../schemas/address.js";
import type { View } from "../../../schemas/view.js";
import type { BenchSupport } from "../../benchSupport.js";
import type { ChainConfig } from "../config.js";
import { chainRelayAt, chainRelayServers } from "../relayActors.js";
import { chainOf, headOf, tailOf } from "../view.js";

// Chain replication in the bench. Its ceiling: a relay head, middle server and
// tail and a fixed master (relayActors.ts). The replicated cluster is the
// chain and a spare, so that a lost link is replaced at once by a join while
// the crashed server restarts. A linked chain serves as its master states it
// (the view event of the master), but the master links servers in one view
// at a time: the bench waits for the whole chain. One server alone, a chain
// of one, is the unreplicated row. The failover rounds crash the head, a
// middle server and the tail, each measured on its own: a lost head stops
// updates only, a lost middle server or tail stops reads too.

export const chainPositions = ["head", "middle", "tail"] as const;

export const chainBench: BenchSupport = {
  relay: { servers: chainRelayServers, actorAt: chainRelayAt },
  unreplicated: (config) => ({ ...(config as ChainConfig), chainLength: 1 }) as ChainConfig,
  servers: (config) => (config as ChainConfig).chainLength + 1,
  full: (view, config) =>
    chainOf(view).length === (config as ChainConfig).chainLength && view.joining === undefined,
  failover: {
    positions: chainPositions,
    serverAt: serverAt,
    without: (view, crashed) => !chainOf(view).includes(crashed) && view.joining !== crashed,
  },
};

/** The head, the tail, or the middle server next to the head (null in a chain too short to have one). */
function serverAt(view: View, position: string): Address | null {
  const chain = chainOf(view);
  switch (position) {
    case "head":
      return headOf(view);
    case "tail":
      return chain.length >= 2 ? tailOf(view) : null;
    case "middle":
      return chain.length >= 3 ? (chain[1] ?? null) : null;
    default:
      return null;
  }
}
