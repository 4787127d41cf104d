// A tiny actor that asks the cluster for its current configuration until it
// gets an answer: `npm run kv -- view`, the memory console's `view` and the
// integration harness run it on a client address. The question, who answers
// it and how to read the answer are the protocol's (`protocol.broker.viewQuery`).
// Pure like the protocol actors: everything through the context.
import type { ActorDefinition } from "../actors/context.js";
import type { View } from "../schemas/view.js";
import type { ViewQuery } from "../protocols/brokerSupport.js";

export interface ViewProbeState {
  view: View | null;
}

/** The probe's own timer: it asks again after `retryMs` without an answer. */
const retryTimer = { type: "ViewProbeRetryTimer" } as const;

export function createViewProbe(query: ViewQuery, retryMs: number): ActorDefinition<ViewProbeState> {
  return {
    kind: "client",
    init(ctx) {
      ctx.send(query.to, query.request);
      ctx.setTimer(retryTimer, retryMs);
      return { view: null };
    },
    onMessage(state, message, ctx) {
      if (message.from !== query.to || state.view !== null) return;
      const view = query.viewOf(message.body);
      if (view === null) return;
      state.view = { ...view };
      ctx.emit({ type: "viewChanged", view: { ...view } });
    },
    onTimer(state, _timer, ctx) {
      if (state.view !== null) return;
      ctx.send(query.to, query.request);
      ctx.setTimer(retryTimer, retryMs);
    },
    viewNum: (state) => state.view?.viewNum ?? 0,
    invariants() {},
    describe: (state) => (state.view === null ? "waiting for the view" : `view ${state.view.viewNum}`),
  };
}
