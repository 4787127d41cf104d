import type * as generic from "../../actors/context.js";
import type { VrMessage, VrTimer } from "./messages.js";

// The actor contract (src/actors/context.ts) with VR's messages and timers.

export type Context = generic.Context<VrMessage, VrTimer>;
export type Message = generic.Message<VrMessage>;
export type ActorDefinition<State> = generic.ActorDefinition<State, VrMessage, VrTimer>;
export type ClientDefinition<State> = generic.ClientDefinition<State, VrMessage, VrTimer>;
