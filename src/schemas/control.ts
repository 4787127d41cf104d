// Control commands (DESIGN §5): JSON published on the fanout exchange
// `<c>.control`, applied by every actor host of the cluster. The sending side
// of each host carries out the network faults; the named node carries out a
// crash or a restart; the supervisor of `npm run cluster` carries out a start.
// On an open cluster anyone with an AMQP client may publish them.
import { z } from "zod";
import { Address } from "./address.js";

/** Most groups in a partition, and most per-link overrides in one `net` command. */
export const partitionGroupsMax = 64;
export const linkOverridesMax = 256;
/** Longest delay the fault layer can apply (the largest delay bucket). */
export const faultDelayMsMax = 10_000;

export const Probability = z.number().min(0).max(1);

/** `[min, max]` milliseconds; each message waits a uniform draw in between. */
export const DelayRange = z
  .tuple([z.number().min(0).max(faultDelayMsMax), z.number().min(0).max(faultDelayMsMax)])
  .refine(([min, max]) => min <= max, "delayMs is [min, max] with min <= max");
export type DelayRange = z.infer<typeof DelayRange>;

/** What the network does to one message: lose it, send it twice, hold it back. */
export const NetSettings = z.object({
  drop: Probability,
  duplicate: Probability,
  delayMs: DelayRange,
});
export type NetSettings = z.infer<typeof NetSettings>;

export const cleanNet: NetSettings = Object.freeze({
  drop: 0,
  duplicate: 0,
  delayMs: [0, 0] as [number, number],
});

/** Settings for the messages `from` sends to `to` (one direction); unset fields keep the default's. */
export const LinkOverride = z.object({
  from: Address,
  to: Address,
  drop: Probability.optional(),
  duplicate: Probability.optional(),
  delayMs: DelayRange.optional(),
});
export type LinkOverride = z.infer<typeof LinkOverride>;

/** Every server publishes a `status` event with its figures (read only; `npm run kv -- status`). */
export const StatusCommand = z.object({ type: z.literal("status") });
/** The node's state is dropped, its timers cancelled, its incoming messages rejected into `<c>.lost`. */
export const CrashCommand = z.object({ type: z.literal("crash"), node: Address });
/** The node starts again from its initial state under the same address (a running node is crashed first). */
export const RestartCommand = z.object({ type: z.literal("restart"), node: Address });
/** Nodes in different groups cannot talk; a node named in no group reaches everyone. */
export const PartitionCommand = z.object({
  type: z.literal("partition"),
  groups: z
    .array(z.array(Address).min(1).max(partitionGroupsMax))
    .min(1)
    .max(partitionGroupsMax)
    .refine((groups) => {
      const all = groups.flat();
      return new Set(all).size === all.length;
    }, "a node belongs to at most one group"),
});
/** Ends every partition. */
export const HealCommand = z.object({ type: z.literal("heal") });
/** Replaces the network settings: the default for every link, and optional per-link overrides. */
export const NetCommand = z.object({
  type: z.literal("net"),
  ...NetSettings.shape,
  links: z.array(LinkOverride).max(linkOverridesMax).optional(),
});
/** Back to a healthy cluster: no partition, a clean network, crashed nodes restarted. */
export const ResetCommand = z.object({ type: z.literal("reset") });
/**
 * For the cluster's supervisor (`npm run cluster`), not the nodes: start a
 * process for this node, one the protocol lets a running cluster add (VR's
 * replica slots, before `npm run reconfigure` makes them members). Only the
 * operator's (a secure cluster's supervisor checks the broker-stamped user).
 */
export const StartCommand = z.object({ type: z.literal("start"), node: Address });
/** Longest one `tap` command keeps a node's traffic where taps can see it. */
export const tapLeaseMsMax = 60_000;
/**
 * Someone watches the cluster's traffic (the dashboard's `--tap`, the chaos
 * observer): for the next `forMs` every node sends through `<c>.net` and
 * `<c>.peer`, where taps bind, instead of straight into the destination's
 * queue (DESIGN §5). The watcher renews it while it watches.
 */
export const TapCommand = z.object({ type: z.literal("tap"), forMs: z.int().min(1).max(tapLeaseMsMax) });

export const ControlCommand = z.discriminatedUnion("type", [
  CrashCommand,
  StatusCommand,
  RestartCommand,
  PartitionCommand,
  HealCommand,
  NetCommand,
  ResetCommand,
  StartCommand,
  TapCommand,
]);
export type ControlCommand = z.infer<typeof ControlCommand>;
export type ControlCommandType = ControlCommand["type"];
