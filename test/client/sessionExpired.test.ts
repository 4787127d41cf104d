// An operation whose client session the servers had forgotten (SessionExpired,
// DESIGN §4.1) is presented as unknown: the library throws SessionExpiredError
// with `outcome: "unknown"` and counts it, the gateway answers `-UNKNOWN`.
// Client actors scripted to answer `expired`: the protocol's side is proven in
// test/actors/sessions.test.ts and test/sim/sessions.test.ts.
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectOptions, KvClient } from "../../src/client/connect.js";
import type { Transport } from "../../src/client/transports.js";
import { SessionExpiredError } from "../../src/index.js";
import { startGateway } from "../support/gateway.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A client whose every operation meets SessionExpired. */
function expiringClient(): KvClient {
  const transport: Transport = {
    newSlot: async () => ({ invoke: async () => ({ kind: "expired" }), usable: true, stop: async () => {} }),
    getView: async () => null,
    fatal: null,
    close: async () => {},
  };
  const kv = new KvClient(transport, ConnectOptions.parse({}), null);
  cleanups.push(() => kv.close());
  return kv;
}

describe("an operation whose session expired", () => {
  it("the library throws SessionExpiredError: outcome unknown, counted apart from timeouts", async () => {
    const kv = expiringClient();
    const error = await kv.append("k", "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(error).toMatchObject({ name: "SessionExpiredError", outcome: "unknown", operation: "append" });
    expect((error as Error).message).toMatch(
      /the outcome is unknown \(it may have taken effect once, never more\)/,
    );
    expect(kv.stats).toMatchObject({ ok: 0, timedOut: 0, expired: 1 });
  });

  it("the gateway answers UNKNOWN, saying the outcome is unknown", async () => {
    const gateway = await startGateway(expiringClient());
    cleanups.push(() => gateway.stop());
    const client = new Redis({ port: gateway.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    cleanups.push(async () => client.disconnect());
    await client.connect();
    await expect(client.set("k", "v")).rejects.toThrow(
      /^UNKNOWN pbkv: put: .*SessionExpired.*outcome is unknown/,
    );
  });
});
