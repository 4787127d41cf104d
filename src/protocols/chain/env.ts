import type { ChainConfig } from "./config.js";
import type { ChainDecisions } from "./decisions.js";

/** What every server handler is given besides the state, the message and the context. */
export interface Env {
  readonly config: ChainConfig;
  readonly decide: ChainDecisions;
}
