// The memory transport's answer to a failure (issue 15): as loud as on the
// broker. A node whose handler throws is stopped by its cell, logged at error
// level and reported as a `crashed` lifecycle event with the reason (it used
// to log a warning and carry on); in debug mode a broken cluster-wide
// invariant, checked on every live state after every event, stops the cluster.
import { afterEach, describe, expect, it } from "vitest";
import type { ActorDefinition, Logger } from "../../src/actors/context.js";
import { clusterNode, MemoryCluster, type MemoryFailure } from "../../src/memory/cluster.js";
import { MemoryHost } from "../../src/memory/host.js";
import { MemoryNetwork } from "../../src/memory/network.js";
import type { AnyProtocol, ClusterInvariant } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent, ClusterEventBody } from "../../src/schemas/clusterEvents.js";

const pb = protocolNamed("pb");
const clusters: MemoryCluster[] = [];

afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.stop();
});

function recordingLogger(): { log: Logger; errors: object[]; warnings: object[] } {
  const errors: object[] = [];
  const warnings: object[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn: (fields) => warnings.push(fields),
    error: (fields) => errors.push(fields),
  };
  return { log, errors, warnings };
}

async function until(condition: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Throws on its first message. */
const brittle: ActorDefinition<{ seen: number }> = {
  kind: "server",
  init: () => ({ seen: 0 }),
  onMessage() {
    throw new Error("cannot take it");
  },
  onTimer() {},
  viewNum: () => 0,
  invariants() {},
  describe: (state) => `seen ${state.seen}`,
};

describe("a failing actor on the memory transport", () => {
  it("is stopped, logged at error level and reported as crashed with the reason", async () => {
    const network = new MemoryNetwork(() => 0.5);
    const { log, errors } = recordingLogger();
    const events: ClusterEventBody[] = [];
    const host = new MemoryHost({
      address: "server-1",
      definition: brittle,
      envelope: pb.envelope,
      network,
      log,
      checkInvariants: true,
      onClusterEvent: (body) => events.push(body),
    });
    host.start();
    network.send({
      v: 1,
      id: "1",
      from: "viewserver",
      to: "server-1",
      viewNum: 0,
      sentAt: 0,
      body: { type: "GetView" },
    });
    await until(() => !host.isUp, "the host down");
    expect(errors).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: "lifecycle", state: "crashed", detail: "Error: cannot take it" });
    host.stop();
    network.close();
  });

  it("never sees a message that is not the protocol's: refused with a warning", async () => {
    const network = new MemoryNetwork(() => 0.5);
    const { log, warnings } = recordingLogger();
    const host = new MemoryHost({
      address: "server-1",
      definition: brittle,
      envelope: pb.envelope,
      network,
      log,
      checkInvariants: true,
      onClusterEvent: () => {},
    });
    host.start();
    network.send({
      v: 1,
      id: "1",
      from: "viewserver",
      to: "server-1",
      viewNum: 0,
      sentAt: 0,
      body: { type: "Bogus" },
    });
    await until(() => network.stats.refused === 1, "the message refused");
    expect(host.isUp).toBe(true);
    expect(warnings).toEqual([expect.objectContaining({ from: "viewserver" })]);
    host.stop();
    network.close();
  });
});

describe("cluster-wide invariants on the memory transport", () => {
  /** Broken as soon as two servers are up at once: it must be noticed within the first events. */
  const atMostOneServer: ClusterInvariant = {
    name: "atMostOneServer",
    check(nodes) {
      const servers = [...nodes.values()].filter((node) => node.role === "server");
      return servers.length > 1 ? `${servers.length} servers up` : null;
    },
  };
  const protocol: AnyProtocol = { ...pb, clusterInvariants: [atMostOneServer] };

  function start(checkInvariants: boolean) {
    const events: ClusterEvent[] = [];
    const failures: MemoryFailure[] = [];
    const cluster = new MemoryCluster({
      protocol,
      servers: 2,
      config: protocol.config.make(),
      checkInvariants,
      onEvent: (event) => events.push(event),
      onFailure: (failure) => failures.push(failure),
    });
    clusters.push(cluster);
    cluster.start();
    return { cluster, events, failures };
  }

  it("stop the cluster in debug mode when one breaks, and say which and why", () => {
    const { cluster, events, failures } = start(true);
    expect(cluster.isStopped).toBe(true);
    const reason = "invariant atMostOneServer broken: 2 servers up";
    expect(failures).toEqual([{ node: clusterNode, reason }]);
    expect(cluster.failure).toEqual({ node: clusterNode, reason });
    expect(events).toContainEqual(
      expect.objectContaining({ node: clusterNode, type: "lifecycle", state: "crashed", detail: reason }),
    );
  });

  it("are not checked outside debug mode", () => {
    const { cluster, failures } = start(false);
    expect(cluster.isStopped).toBe(false);
    expect(failures).toEqual([]);
  });
});
