// Chain replication on the broker (issue 18's "done when"): a chain of three
// and a spare keeps every acknowledged write after losing its tail, then its
// head, then a middle server, each crashed through the control queue while
// writers keep writing: the master relinks the chain and a spare (the one
// left over, then each crashed server restarted) joins as the new tail.
// Every acknowledged write is read back after each loss, the history is
// checked, and the servers' --debug agreement compared their states. A tail
// SIGKILLed outright likewise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nanosecondClock } from "../../src/broker/workload.js";
import type { ClientSession } from "../../src/broker/clients.js";
import { HistoryRecorder } from "../../src/check/index.js";
import type { Address } from "../../src/schemas/address.js";
import type { Op } from "../../src/schemas/op.js";
import type { View } from "../../src/schemas/view.js";
import { assertLinearizable, recordedOp, TestCluster } from "./harness.js";

/** Full length, no join under way, and without `lost`: the master relinked and a spare joined. */
const fullChainWithout = (lost: Address | null) => (view: View) =>
  view.chain?.length === 3 && view.joining === undefined && (lost === null || !view.chain.includes(lost));

/**
 * Writers that keep putting fresh keys and appending to one, recording each
 * acknowledged write. An op without an answer is recorded as info; its
 * client actor is retired, and the writer goes on with a new one (a new process).
 */
class Writers {
  readonly acknowledged = new Map<string, string>();
  private stopped = false;
  private nextProcess = 100;
  private readonly running: Promise<void>[];

  constructor(
    private readonly recorder: HistoryRecorder,
    private readonly newClient: () => Promise<ClientSession>,
    writers: number,
  ) {
    this.running = Array.from({ length: writers }, (_, writer) => this.write(writer));
  }

  private async write(writer: number): Promise<void> {
    let session = await this.newClient();
    let process = this.nextProcess++;
    const run = async (op: Op): Promise<boolean> => {
      const answer = await recordedOp(this.recorder, session, process, op, 5_000);
      if (answer !== null) return true;
      session = await this.newClient();
      process = this.nextProcess++;
      return false;
    };
    for (let index = 0; !this.stopped; index++) {
      const key = `w${writer}-${index}`;
      if (await run({ f: "put", key, value: `v${index}` })) this.acknowledged.set(key, `v${index}`);
      const piece = `(${writer}.${index})`;
      if (await run({ f: "append", key: "log", value: piece }))
        this.acknowledged.set("log", `${this.acknowledged.get("log") ?? ""}|${piece}`);
    }
    await session.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }
}

describe("chain replication on a broker cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start({ protocol: "chain", servers: 4 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Reads back every acknowledged put, and finds every acknowledged append in the log once. */
  async function readBack(recorder: HistoryRecorder, reader: ClientSession, writers: Writers): Promise<void> {
    const expected = new Map(writers.acknowledged);
    for (const [key, value] of expected) {
      if (key === "log") continue;
      expect(await recordedOp(recorder, reader, 0, { f: "get", key }, 10_000), key).toEqual({ value });
    }
    const log = await recordedOp(recorder, reader, 0, { f: "get", key: "log" }, 10_000);
    for (const piece of (expected.get("log") ?? "").split("|").filter((part) => part !== ""))
      expect(log?.value.split(piece), piece).toHaveLength(2);
  }

  /** Crashes `victim`, waits for a full chain without it, and restarts it (it comes back as a spare). */
  async function lose(victim: Address): Promise<View> {
    cluster.control({ type: "crash", node: victim });
    const relinked = await cluster.waitForView(fullChainWithout(victim), 30_000);
    cluster.control({ type: "restart", node: victim });
    return relinked;
  }

  it("keeps every acknowledged write after losing its tail, then its head, then a middle server", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const first = await cluster.waitForView(fullChainWithout(null), 30_000);
    expect(first.primary).toBe(first.chain![0]);
    const spare = cluster.supervisor.addresses.find(
      (node) => node.startsWith("server-") && !first.chain!.includes(node),
    );
    const reader = await cluster.clients.newClient();
    const writers = new Writers(recorder, () => cluster.clients.newClient(), 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const tail = first.chain![2]!;
    const afterTail = await lose(tail);
    expect(afterTail.chain).toEqual([first.chain![0], first.chain![1], spare]);
    await readBack(recorder, reader, writers);

    const head = afterTail.chain![0]!;
    const afterHead = await lose(head);
    expect(afterHead.chain).toEqual([afterTail.chain![1], afterTail.chain![2], tail]);
    await readBack(recorder, reader, writers);

    const middle = afterHead.chain![1]!;
    const afterMiddle = await lose(middle);
    expect(afterMiddle.chain).toEqual([afterHead.chain![0], afterHead.chain![2], head]);
    await writers.stop();
    await readBack(recorder, reader, writers);
    console.log(
      `[chain] ${writers.acknowledged.size} keys acknowledged across 3 losses; views ${first.viewNum} → ${afterMiddle.viewNum}`,
    );
    expect(writers.acknowledged.size).toBeGreaterThan(10);
    await reader.stop();
    assertLinearizable(recorder);
    const agreement = cluster.agreement();
    expect(agreement.compared).toBeGreaterThan(0);
    expect(agreement.disagreements).toEqual([]);
  });

  it("a tail SIGKILLed outright: its predecessor answers every acknowledged append", async () => {
    const recorder = new HistoryRecorder(nanosecondClock());
    const session = await cluster.clients.newClient();
    const view = await cluster.waitForView(fullChainWithout(null), 30_000);
    for (let index = 0; index < 5; index++)
      await recordedOp(recorder, session, 1, { f: "append", key: "k", value: `x 1 ${index} y` }, 5_000);
    const tail = view.chain!.at(-1)!;
    expect(cluster.supervisor.kill(tail, "SIGKILL")).toBe(true);
    const read = await recordedOp(recorder, session, 1, { f: "get", key: "k" }, 10_000);
    expect(read).toEqual({ value: "x 1 0 yx 1 1 yx 1 2 yx 1 3 yx 1 4 y" });
    expect(cluster.exits).toContainEqual(expect.objectContaining({ address: tail, signal: "SIGKILL" }));
    await recordedOp(recorder, session, 1, { f: "append", key: "k", value: "x 1 5 y" }, 5_000);
    expect((await cluster.view()).chain).not.toContain(tail);
    await session.stop();
    assertLinearizable(recorder);
  });
});
