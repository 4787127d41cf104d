import type { MessageBase } from "../schemas/envelope.js";
import type { Address } from "../schemas/address.js";
import type { View } from "../schemas/view.js";

// What the broker runtime (src/broker, the CLI) asks of a protocol.

/** How to learn the current configuration from outside (`npm run kv -- view`, test harnesses, the bench). */
export interface ViewQuery {
  /** Who answers it. */
  readonly to: Address;
  readonly request: MessageBase;
  /** The configuration in an answer from `to`, or null when the body is not one. */
  viewOf(body: MessageBase): View | null;
}

export interface BrokerSupport {
  readonly viewQuery: ViewQuery;
}
