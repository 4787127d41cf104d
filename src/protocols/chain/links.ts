import { assert } from "../../actors/assert.js";
import type { Address } from "../../schemas/address.js";
import { batchBytesMax, entryBytes } from "../../schemas/limits.js";
import type { Context } from "./actor.js";
import type { Env } from "./env.js";
import type { ChainServerState } from "./state.js";
import { successorOf } from "./view.js";

// The link to the successor: positions of the Sent list go out in Forward
// batches, at most `forwardWindow` of them unacknowledged at once (as pb's
// primary keeps one Forward in flight). What is applied meanwhile waits and
// goes out as the next batch, so under load each Forward (and each ChainAck
// answering it) carries many updates. A batch stops at forwardBatchMax
// entries or batchBytesMax encoded bytes; one entry always fits.

/** Send the successor what it never got, while the window allows. */
export function forwardNew(state: ChainServerState, ctx: Context, env: Env): void {
  const app = state.app;
  const successor = successorOf(state.view, ctx.self);
  if (app === null || successor === null) return;
  if (state.forwardedUpTo < state.sentBase) state.forwardedUpTo = state.sentBase;
  while (state.inFlightEnds.length < env.config.forwardWindow && state.forwardedUpTo < app.applied) {
    const end = sendBatch(state, successor, state.forwardedUpTo + 1, app.applied, ctx, env);
    state.inFlightEnds.push(end);
    state.forwardedUpTo = end;
  }
}

/** The successor holds everything up to `holds`: the batches it covers are no longer in flight. */
export function acknowledged(state: ChainServerState, holds: number): void {
  if (holds > state.successorHolds) {
    state.successorHolds = holds;
    state.quietTicks = 0;
  }
  while (state.inFlightEnds.length > 0 && state.inFlightEnds[0]! <= state.successorHolds)
    state.inFlightEnds.shift();
}

/** A new successor (or none): nothing is in flight to it yet. */
export function resetLink(state: ChainServerState, holds: number): void {
  state.successorHolds = holds;
  state.forwardedUpTo = Math.max(holds, state.sentBase);
  state.inFlightEnds = [];
  state.quietTicks = 0;
}

/** Every pingMs: after a whole quiet interval, resend what the successor has not acknowledged. */
export function resendForwards(state: ChainServerState, ctx: Context, env: Env): void {
  const app = state.app;
  const successor = successorOf(state.view, ctx.self);
  if (app === null || successor === null || state.forwardedUpTo <= state.successorHolds) return;
  if (++state.quietTicks < 2) return;
  state.quietTicks = 0;
  const last = state.forwardedUpTo;
  for (let start = Math.max(state.successorHolds, state.sentBase) + 1; start <= last;)
    start = sendBatch(state, successor, start, last, ctx, env) + 1;
}

/** Send one batch of the Sent list starting at `first` (up to `last`); returns its last position. */
function sendBatch(
  state: ChainServerState,
  to: Address,
  first: number,
  last: number,
  ctx: Context,
  env: Env,
): number {
  let bytes = 0;
  let end = first - 1;
  while (end < last && end - first + 1 < env.config.forwardBatchMax) {
    const entry = state.sent[end - state.sentBase];
    assert(entry !== undefined, "a forwarded position is in the Sent list");
    const op = entry.type === "op" ? entry.op : null;
    const size = entryBytes(op?.key ?? "", op === null || op.f === "get" ? "" : op.value);
    if (end >= first && bytes + size > batchBytesMax) break;
    bytes += size;
    end += 1;
  }
  const offset = first - state.sentBase - 1;
  ctx.send(to, {
    type: "Forward",
    firstIndex: first,
    entries: state.sent.slice(offset, offset + end - first + 1),
  });
  return end;
}
