// `npm run kv`'s operation on the library, with scripted client actors: each
// outcome in kv's own words, as they were before kv ran on the library (a
// timeout and a SessionExpired say the outcome is unknown, a refusal says
// nothing changed; all exit 1), and the answer on success.
import { afterEach, describe, expect, it } from "vitest";
import { ConnectOptions, KvClient } from "../../src/client/connect.js";
import type { SlotOutcome } from "../../src/client/pool.js";
import type { Transport } from "../../src/client/transports.js";
import { CommandError } from "../../src/cli/exitCodes.js";
import { runOperation } from "../../src/cli/kvOperation.js";
import type { Op } from "../../src/schemas/op.js";

const clients: KvClient[] = [];
afterEach(async () => {
  for (const kv of clients.splice(0)) await kv.close();
});

/** A client whose every operation ends with `outcome`. */
function scriptedClient(outcome: SlotOutcome): KvClient {
  const transport: Transport = {
    newSlot: async () => ({ invoke: async () => outcome, usable: true, stop: async () => {} }),
    getView: async () => null,
    fatal: null,
    close: async () => {},
  };
  const kv = new KvClient(transport, ConnectOptions.parse({ timeoutMs: 1_000 }), null);
  clients.push(kv);
  return kv;
}

const settings = { timeoutMs: 1_000, cluster: "c1" };
const put: Op = { f: "put", key: "k", value: "v" };

async function failure(outcome: SlotOutcome, op: Op): Promise<CommandError> {
  const error = await runOperation(scriptedClient(outcome), op, settings).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CommandError);
  return error as CommandError;
}

describe("kv's operation through the library", () => {
  it("answers a get's value and an append's new length", async () => {
    expect(
      await runOperation(scriptedClient({ kind: "ok", value: "12" }), { f: "get", key: "a" }, settings),
    ).toBe("12");
    expect(
      await runOperation(
        scriptedClient({ kind: "ok", value: "3" }),
        { f: "append", key: "a", value: "x" },
        settings,
      ),
    ).toBe("3");
  });

  it("says a timeout's outcome is unknown (exit 1)", async () => {
    const error = await failure({ kind: "timeout" }, put);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      'put "k": no answer within 1000 ms (is the cluster "c1" serving? try: npm run kv -- view); a put or append may still happen',
    );
  });

  it("says a SessionExpired's outcome is unknown, a write's at most once", async () => {
    const write = await failure({ kind: "expired" }, put);
    expect(write.exitCode).toBe(1);
    expect(write.message).toBe(
      'put "k": outcome unknown: the servers had forgotten this client\'s session (SessionExpired); the operation may have taken effect once, never more',
    );
    const read = await failure({ kind: "expired" }, { f: "get", key: "k" });
    expect(read.message).toBe(
      'get "k": outcome unknown: the servers had forgotten this client\'s session (SessionExpired)',
    );
  });

  it("says a refused append changed nothing (exit 1)", async () => {
    const error = await failure(
      { kind: "failed", error: "ValueTooLarge" },
      { f: "append", key: "k", value: "v" },
    );
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(
      /^append "k": refused: the key's value would grow past 1048576 bytes .*nothing changed$/,
    );
  });
});
