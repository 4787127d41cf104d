import type * as generic from "../../actors/context.js";
import type { ChainMessage } from "./messages.js";
import type { ChainTimer } from "./timers.js";

// The actor contract (src/actors/context.ts) with chain replication's messages and timers.

export type Context = generic.Context<ChainMessage, ChainTimer>;
export type Message = generic.Message<ChainMessage>;
export type ActorDefinition<State> = generic.ActorDefinition<State, ChainMessage, ChainTimer>;
export type ClientDefinition<State> = generic.ClientDefinition<State, ChainMessage, ChainTimer>;
