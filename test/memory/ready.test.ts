// The memory console waits, before running commands, for a view the protocol
// calls ready (`broker.ready`: pb a primary and a backup, VR replicas in
// status normal), or with one server for a primary (issue 16, point 3): no
// more waiting for pb's `transfer` event, which VR never sends. `view` then
// shows VR's replicas and status.
import { afterEach, describe, expect, it } from "vitest";
import { MemoryCluster } from "../../src/memory/cluster.js";
import { Repl } from "../../src/memory/repl.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { runCli } from "../support/cli.js";

const clusters: MemoryCluster[] = [];

afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.stop();
});

function started(protocolName: string, servers?: number, overrides: object = {}): MemoryCluster {
  const protocol = protocolNamed(protocolName);
  const cluster = new MemoryCluster({
    protocol,
    servers,
    config: protocol.config.make(overrides as never),
    checkInvariants: true,
  });
  clusters.push(cluster);
  cluster.start();
  return cluster;
}

describe("the memory cluster's readiness", () => {
  it("VR: a view in status normal, with every replica; view prints them", async () => {
    const cluster = started("vr", undefined, { replicas: 5 });
    const view = await cluster.waitUntilReady(5_000);
    expect(view).toMatchObject({ viewNum: 0, primary: "server-1", status: "normal" });
    expect(view?.replicas).toHaveLength(5);
    const lines = (await new Repl(cluster, 5_000).handle("view")).lines;
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ status: "normal", replicas: expect.any(Array) });
  });

  it("pb: a primary and a backup; with one server, a primary alone", async () => {
    expect(await started("pb", 3).waitUntilReady(5_000)).toMatchObject({
      primary: "server-1",
      backup: "server-2",
    });
    expect(await started("pb", 1).waitUntilReady(5_000)).toMatchObject({ primary: "server-1", backup: null });
  });

  it("gives up after its time, and at once once stopped", async () => {
    const cluster = started("pb", 3);
    cluster.control({ type: "crash", node: "viewserver" });
    const begun = performance.now();
    expect(await cluster.waitUntilReady(300)).toBeNull();
    expect(performance.now() - begun).toBeLessThan(1_000);
    cluster.stop();
    expect(await cluster.waitUntilReady(5_000)).toBeNull();
  });

  it("npm run cluster -- --transport memory --protocol vr runs piped commands once ready", async () => {
    const run = await runCli(
      "cluster",
      ["--transport", "memory", "--protocol", "vr", "--cluster", "hv-ready"],
      "put a 1\nview\nget a\nquit\n",
    );
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/no ready view/);
    const lines = run.stdout.split("\n");
    expect(lines).toContain("ok");
    expect(lines.some((line) => line.includes('"status":"normal"'))).toBe(true);
    expect(lines).toContain('"1"');
  });
});
