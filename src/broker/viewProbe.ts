// A tiny actor that asks the cluster for its current configuration until it
// gets an answer: `npm run kv -- view`, the memory console's `view` and the
// integration harness run it on a client address. The question, who answers
// it and how to read the answer are the protocol's (`protocol.broker.viewQuery`).
// It asks every node of `to` and, once the first answer is in, waits for the
// others at most `viewAnswerGraceMs`, then reports the highest view among
// the answers (a node that is down, behind or changing views must neither
// hold the probe up nor have the last word).
// Pure like the protocol actors: everything through the context.
import type { ActorDefinition, Context } from "../actors/context.js";
import type { Address } from "../schemas/address.js";
import type { View } from "../schemas/view.js";
import { type ViewQuery, viewAnswerGraceMs } from "../protocols/brokerSupport.js";
import type { ProtocolConfigBase } from "../protocols/protocol.js";

export interface ViewProbeState {
  /** The view reported (once reported, the probe is done). */
  view: View | null;
  /** The highest view answered so far, not yet reported. */
  best: View | null;
  /** Who answered, in order. */
  answered: Address[];
}

/** The probe's timers: it asks again after `retryMs` without an answer; it reports when the grace after the first answer ends. */
const retryTimer = { type: "ViewProbeRetryTimer" } as const;
const graceTimer = { type: "ViewProbeGraceTimer" } as const;

/** A probe of the cluster of configuration `config`: it asks `query.to(config)`, again every `config.clientRetryMs`. */
export function createViewProbe(
  query: ViewQuery,
  config: ProtocolConfigBase,
): ActorDefinition<ViewProbeState> {
  const asked = query.to(config);
  const retryMs = config.clientRetryMs;
  const askAll = (ctx: Context): void => {
    for (const node of asked) ctx.send(node, query.request);
  };
  return {
    kind: "client",
    init(ctx) {
      askAll(ctx);
      ctx.setTimer(retryTimer, retryMs);
      return { view: null, best: null, answered: [] };
    },
    onMessage(state, message, ctx) {
      if (state.view !== null || !asked.includes(message.from)) return;
      const view = query.viewOf(message.body);
      if (view === null) return;
      if (!state.answered.includes(message.from)) state.answered.push(message.from);
      const first = state.best === null;
      state.best = higherView(state.best, view);
      if (state.answered.length >= asked.length) report(state, ctx);
      else if (first) ctx.setTimer(graceTimer, viewAnswerGraceMs);
    },
    onTimer(state, timer, ctx) {
      if (state.view !== null) return;
      if (timer.type === graceTimer.type) return report(state, ctx);
      if (state.best !== null) return; // the grace timer reports
      askAll(ctx);
      ctx.setTimer(retryTimer, retryMs);
    },
    viewNum: (state) => state.view?.viewNum ?? 0,
    invariants() {},
    describe: (state) =>
      state.view !== null
        ? `view ${state.view.viewNum}`
        : state.best === null
          ? "waiting for the view"
          : `view ${state.best.viewNum} from ${state.answered.length} of ${asked.length}, waiting for the rest`,
  };
}

/**
 * The higher of two views, by epoch first (VR's configurations; views are
 * numbered within one); the first of equals (an answer does not replace an equal one).
 */
export function higherView(held: View | null, answer: View): View {
  if (held === null) return { ...answer };
  const [heldEpoch, answerEpoch] = [held.epoch ?? 0, answer.epoch ?? 0];
  if (heldEpoch !== answerEpoch) return heldEpoch > answerEpoch ? held : { ...answer };
  return held.viewNum >= answer.viewNum ? held : { ...answer };
}

function report(state: ViewProbeState, ctx: Context): void {
  if (state.best === null) return;
  state.view = { ...state.best };
  ctx.emit({ type: "viewChanged", view: { ...state.best } });
}
