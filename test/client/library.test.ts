// The library (`import { connect } from "pbkv"`) on the in-memory transport:
// operations through the protocol's client actors, many in flight, and each
// failure as its typed error saying whether anything happened.
import { afterEach, describe, expect, it } from "vitest";
import {
  ClientClosedError,
  connect,
  InvalidOperationError,
  type KvClient,
  OperationTimeoutError,
  PbkvError,
  RefusedOperationError,
} from "../../src/index.js";
import { valueBytesMax } from "../../src/schemas/limits.js";

const clients: KvClient[] = [];
afterEach(async () => {
  for (const kv of clients.splice(0)) await kv.close();
});

async function memoryClient(options: { timeoutMs?: number; poolSize?: number } = {}): Promise<KvClient> {
  const kv = await connect({ transport: "memory", ...options });
  clients.push(kv);
  return kv;
}

describe("connect({ transport: 'memory' })", () => {
  it("puts, appends and gets; a missing key reads as the empty string", async () => {
    const kv = await memoryClient();
    expect(await kv.get("nothing")).toBe("");
    await kv.put("k", "a");
    await kv.append("k", "b");
    expect(await kv.get("k")).toBe("ab");
    const view = await kv.view();
    expect(view.primary).toMatch(/^server-/);
  });

  it("names the client actor that ran an operation (kv --json prints it)", async () => {
    const kv = await memoryClient({ poolSize: 1 });
    expect(kv.clientAddresses).toEqual([]);
    await kv.put("named", "v");
    expect(kv.clientAddresses).toEqual([expect.stringMatching(/^client-/)]);
  });

  it("answers each append with the value's new length, atomically (as Redis's APPEND)", async () => {
    const kv = await memoryClient({ poolSize: 8 });
    expect(await kv.append("counted", "é")).toBe(2); // UTF-8 bytes
    // Eight appends at once: each length is the one its own append made, so no two are equal.
    const lengths = await Promise.all(Array.from({ length: 8 }, () => kv.append("counted", "ab")));
    expect([...lengths].sort((a, b) => a - b)).toEqual([4, 6, 8, 10, 12, 14, 16, 18]);
  });

  it("runs many operations at once, each exactly once", async () => {
    const kv = await memoryClient({ poolSize: 8 });
    const values = Array.from({ length: 64 }, (_, index) => `<${index}>`);
    await Promise.all(values.map((value) => kv.append("many", value)));
    const final = await kv.get("many");
    for (const value of values) expect(final.split(value)).toHaveLength(2);
    expect(final).toHaveLength(values.join("").length);
    expect(kv.stats).toMatchObject({ inFlight: 0, ok: 65, timedOut: 0 });
  });

  it("refuses a value over the bound without sending it", async () => {
    const kv = await memoryClient();
    await kv.put("big", "before");
    const error = await kv.put("big", "x".repeat(valueBytesMax + 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOperationError);
    expect(error).toBeInstanceOf(PbkvError);
    expect(error).toMatchObject({ name: "InvalidOperationError", outcome: "not sent" });
    expect((error as Error).cause).toBeDefined();
    expect(await kv.get("big")).toBe("before");
  });

  it("an append the servers refuse (past the value limit) says nothing happened", async () => {
    const kv = await memoryClient();
    await kv.put("full", "x".repeat(valueBytesMax - 4));
    const error = await kv.append("full", "0123456789").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedOperationError);
    expect(error).toMatchObject({ name: "RefusedOperationError", outcome: "refused" });
    expect((await kv.get("full")).length).toBe(valueBytesMax - 4);
  });

  it("says the outcome is unknown when no server answers in time", async () => {
    const kv = await memoryClient({ timeoutMs: 300 });
    await kv.put("k", "v");
    for (const node of ["server-1", "server-2", "server-3"])
      kv.memoryCluster?.control({ type: "crash", node });
    const error = await kv.put("k", "w").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationTimeoutError);
    expect(error).toMatchObject({ name: "OperationTimeoutError", outcome: "unknown", operation: "put" });
    expect((error as Error).message).toMatch(/outcome is unknown/);
    expect(kv.stats.timedOut).toBe(1);
  });

  it("after close: refuses operations, and nothing is left running", async () => {
    const kv = await memoryClient();
    await kv.put("k", "v");
    await kv.close();
    const error = await kv.get("k").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientClosedError);
    expect(error).toMatchObject({ name: "ClientClosedError", outcome: "not sent" });
    expect(kv.memoryCluster?.pendingTimers()).toBe(0);
  });

  it("rejects bad options with the reason", async () => {
    await expect(connect({ transport: "memory", poolSize: 0 })).rejects.toThrow(/poolSize/);
  });

  it("takes the settings the protocol's clients share with its servers, and refuses others", async () => {
    const kv = await connect({ transport: "memory", settings: { sessionExpiryMs: 2_000 } });
    clients.push(kv);
    await kv.put("k", "v");
    expect(await kv.get("k")).toBe("v");
    // A setting only servers take, an unknown name and a bad combination are refused before anything starts.
    await expect(connect({ transport: "memory", settings: { pingMs: 10 } })).rejects.toThrow(
      /pingMs: not a setting pb clients take \(sessionExpiryMs\)/,
    );
    await expect(connect({ transport: "memory", settings: { bogus: 1 } })).rejects.toThrow(
      InvalidOperationError,
    );
    await expect(connect({ transport: "memory", settings: { sessionExpiryMs: 1 } })).rejects.toThrow(
      /sessionExpiryMs must be at least 4 client retries/,
    );
  });
});
