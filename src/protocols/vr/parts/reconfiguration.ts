import type { Address } from "../../../schemas/address.js";
import type { ReconfigurationSupport, ReconfigureFrom, ReconfigureOutcome } from "../../brokerSupport.js";
import type { ActorDefinition, Context, Message } from "../actor.js";
import type { VrConfig } from "../config.js";
import { replicaAddress, replicaIndex } from "../members.js";
import { createOperator, type OperatorState } from "../operator.js";

// `npm run reconfigure`'s operator (src/broker/operatorRun.ts runs it): the
// operator role with a plan of one reconfiguration, its state seeded with
// the group the view query found (it would otherwise start from epoch 0's
// slots), and a watch on what it hears that settles the outcome without
// changing what it does: the new epoch runs; the request is invalid;
// another reconfiguration is under way or came first (ours not taken).

export interface DrivenOperator {
  operator: OperatorState;
  outcome: ReconfigureOutcome | null;
}

export const vrReconfiguration = (
  slotQuery: ReconfigurationSupport["slotQuery"],
): ReconfigurationSupport => ({
  slotQuery,
  readyStatus: "spare",
  operator(config, from, target) {
    const planned = { ...(config as VrConfig), operator: [{ members: indices(target) }] };
    const definition = drivenOperator(createOperator(planned), from);
    return {
      definition: definition as ActorDefinition<unknown>,
      outcomeOf: (state) => (state as DrivenOperator).outcome,
    };
  },
});

function drivenOperator(
  inner: ActorDefinition<OperatorState>,
  from: ReconfigureFrom,
): ActorDefinition<DrivenOperator> {
  const epoch = from.epoch;
  return {
    kind: "client", // on the broker it is one of the operator's clients (client-operator-*)
    init(ctx: Context) {
      const operator = inner.init(ctx);
      operator.epoch = epoch;
      operator.members = indices(from.members);
      operator.viewNum = from.viewNum;
      return { operator, outcome: null };
    },
    onMessage(state, message: Message, ctx) {
      const asking = state.operator.current?.phase === "reconfigure";
      inner.onMessage(state.operator, message, ctx);
      state.outcome ??= outcomeAfter(state.operator, message, asking, epoch);
    },
    onTimer: (state, timer, ctx) => inner.onTimer(state.operator, timer, ctx),
    viewNum: (state) => inner.viewNum(state.operator),
    invariants: (state) => inner.invariants(state.operator),
    describe: (state) => inner.describe(state.operator),
  };
}

function outcomeAfter(
  operator: OperatorState,
  message: Message,
  asking: boolean,
  epoch: number,
): ReconfigureOutcome | null {
  if (operator.done > 0)
    return operator.refused !== null
      ? { kind: "invalid", reason: operator.refused }
      : { kind: "running", epoch: operator.epoch, members: operator.members.map(replicaAddress) };
  if (!asking) return null;
  const body = message.body;
  if (body.type === "ReconfigureReply" && !body.result.ok && body.result.error === "Reconfiguring")
    return { kind: "busy", reason: `another reconfiguration is under way (${body.result.reason})` };
  // The operator would ask again from the new epoch: a target worked out from a group that is gone.
  if (operator.current !== null && operator.current.from !== epoch)
    return { kind: "busy", reason: `another reconfiguration made epoch ${operator.epoch} first` };
  return null;
}

function indices(addresses: readonly Address[]): number[] {
  return addresses.map((address) => replicaIndex(address)!).sort((a, b) => a - b);
}
