// A tiny actor that asks the view server for the current view (GetView) until
// it answers: `npm run kv -- view` and the integration harness run it on a
// client queue. Pure like the protocol actors: everything through the context.
import type { ActorDefinition } from "../actors/context.js";
import { viewServerAddress } from "../schemas/address.js";
import type { View } from "../schemas/view.js";

export interface ViewProbeState {
  view: View | null;
}

export function createViewProbe(retryMs: number): ActorDefinition<ViewProbeState> {
  return {
    kind: "client",
    init(ctx) {
      ctx.send(viewServerAddress, { type: "GetView" });
      ctx.setTimer({ type: "ClientRetryTimer", seq: 1 }, retryMs);
      return { view: null };
    },
    onMessage(state, message, ctx) {
      if (message.body.type !== "ViewReply" || message.from !== viewServerAddress || state.view !== null)
        return;
      state.view = { ...message.body.view };
      ctx.emit({ type: "viewChanged", view: { ...state.view } });
    },
    onTimer(state, _timer, ctx) {
      if (state.view !== null) return;
      ctx.send(viewServerAddress, { type: "GetView" });
      ctx.setTimer({ type: "ClientRetryTimer", seq: 1 }, retryMs);
    },
    viewNum: (state) => state.view?.viewNum ?? 0,
    invariants() {},
    describe: (state) => (state.view === null ? "waiting for the view" : `view ${state.view.viewNum}`),
  };
}
