// `--transport memory --protocol chain` (issue 18): the memory console runs
// chain replication's master and servers in this process (the cluster
// invariants checked after every event), shows the chain head first, serves
// put/append/get, and keeps the data when the head is crashed: the master
// relinks the chain and the spare joins as its tail.
import { afterEach, describe, expect, it } from "vitest";
import { MemoryCluster } from "../../src/memory/cluster.js";
import { Repl } from "../../src/memory/repl.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent } from "../../src/schemas/clusterEvents.js";
import type { View } from "../../src/schemas/view.js";
import { runCli } from "../support/cli.js";

const clusters: MemoryCluster[] = [];

afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.stop();
});

async function until(condition: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The master's latest chain, from its `view` events. */
function latestView(events: ClusterEvent[]): View | null {
  const last = events.filter((event) => event.type === "view" && event.node === "master").at(-1);
  return last?.type === "view" ? last.view : null;
}

const full = (view: View | null): boolean => view?.chain?.length === 3 && view.joining === undefined;

describe("chain replication on the memory transport", () => {
  it("serves a chain of three and a spare, head first, and keeps the data when the head is crashed", async () => {
    const events: ClusterEvent[] = [];
    const protocol = protocolNamed("chain");
    const cluster = new MemoryCluster({
      protocol,
      servers: 4,
      config: protocol.config.make(),
      checkInvariants: true,
      onEvent: (event) => events.push(event),
    });
    clusters.push(cluster);
    cluster.start();
    const repl = new Repl(cluster, 5_000);
    const say = async (line: string): Promise<string[]> => (await repl.handle(line)).lines;
    await until(() => full(latestView(events)), "a chain of three");

    const before = JSON.parse((await say("view"))[0] ?? "") as View;
    expect(before.chain).toHaveLength(3);
    expect(before.primary).toBe(before.chain![0]);
    expect(await say("put a 1")).toEqual(["ok"]);
    expect(await say("append a 2")).toEqual(["ok"]);
    expect(await say("get a")).toEqual(['"12"']);

    const head = before.chain![0]!;
    expect(await say(`crash ${head}`)).toEqual([]);
    await until(() => {
      const view = latestView(events);
      return full(view) && !view!.chain!.includes(head);
    }, "a chain of three without the crashed head");
    const after = JSON.parse((await say("view"))[0] ?? "") as View;
    expect(after.chain!.slice(0, 2)).toEqual(before.chain!.slice(1));
    expect(await say("get a")).toEqual(['"12"']);
    expect(await say("append a 3")).toEqual(["ok"]);
    expect(await say("get a")).toEqual(['"123"']);
    cluster.stop();
    expect(cluster.pendingTimers()).toBe(0);
  });

  it("npm run cluster -- --transport memory --protocol chain runs piped commands once ready", async () => {
    const run = await runCli(
      "cluster",
      ["--transport", "memory", "--protocol", "chain", "--servers", "4", "--cluster", "h18b-memory"],
      "put a 1\nappend a 2\nview\nget a\nquit\n",
    );
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines.filter((line) => line === "ok")).toHaveLength(2);
    expect(lines).toContain('"12"');
    const view = JSON.parse(lines.find((line) => line.includes('"chain"')) ?? "{}") as View;
    expect(view.primary).toBe(view.chain?.[0]);
  });
});
