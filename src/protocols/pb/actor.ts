import type * as generic from "../../actors/context.js";
import type { MessageBody } from "./messages.js";
import type { Timer } from "./timers.js";

// The actor contract (src/actors/context.ts) with primary/backup's messages
// and timers filled in: what pb's handlers see.

export type Context = generic.Context<MessageBody, Timer>;
export type Message = generic.Message<MessageBody>;
export type ActorDefinition<State> = generic.ActorDefinition<State, MessageBody, Timer>;
export type ClientDefinition<State> = generic.ClientDefinition<State, MessageBody, Timer>;
