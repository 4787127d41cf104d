// A new client process after reconfigurations (issue 19, item 3): configured
// with --replicas 3, it knows server-1 … server-3, which may all have left
// the group. The broker's client actors run with VR's `clientConfig`, whose
// last resort (after 3 unanswered retries) asks every replica slot, so the
// group is found wherever it is; the cluster's own configuration would never
// ask beyond server-3.
import { describe, expect, it } from "vitest";
import type { ClientDefinition } from "../../src/actors/context.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { VrConfig } from "../../src/protocols/vr/config.js";
import { ActorProbe } from "../support/actorProbe.js";

const vr = protocolNamed("vr");
const config = vr.config.make({ replicas: 3 } as never) as VrConfig;

/** Who a fresh client asks after `retries` unanswered retries of a get. */
function askedAfter(clientConfig: VrConfig, retries: number): string[] {
  const definition = vr.client(clientConfig) as ClientDefinition<unknown>;
  const client = new ActorProbe(definition, "client-x");
  definition.invoke(client.state, { f: "get", key: "k" }, client.ctx);
  const seq = (client.state as { seq: number }).seq;
  for (let retry = 0; retry < retries; retry++) {
    client.takeSent();
    client.fire({ type: "ClientRetryTimer", seq });
  }
  return [...new Set(client.takeSent().map((sent) => sent.to))].sort();
}

describe("a VR client on the broker", () => {
  it("asks every replica slot as a last resort, beyond the slots it was configured with", () => {
    const onBroker = vr.broker.clientConfig!(config) as VrConfig;
    expect(askedAfter(onBroker, 4)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `server-${i}`));
    expect(askedAfter(config, 4)).toEqual(["server-1", "server-2", "server-3"]);
    expect(onBroker.replicas).toBe(3); // it still starts from epoch 0's group
  });
});
