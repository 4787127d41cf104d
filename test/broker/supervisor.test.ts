// The supervisor restarts by RoleSpec, not by name (issue 15): it starts the
// nodes of `protocol.layout`, and after a node process dies it restarts it
// only when its role is `restartable`. The node processes here die at once
// (their protocol is not in the registry: a usage error, exit 2), which is
// all the supervisor's policy needs; no broker is involved.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildExit, ClusterSupervisor } from "../../src/broker/supervisor.js";
import type { AnyProtocol } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";

const pb = protocolNamed("pb");
/** A made-up protocol: one coordinator nobody may restart, and one worker. */
const madeUp: AnyProtocol = {
  ...pb,
  name: "made-up",
  roles: [
    { name: "coordinator", summary: "keeps what cannot be rebuilt", crashable: false, restartable: false },
    { name: "worker", summary: "does the work", crashable: true, restartable: true },
  ],
  roleOf: (address) => (address === "coordinator" ? "coordinator" : "worker"),
  layout: (servers) => [
    { address: "coordinator", role: "coordinator" },
    ...Array.from({ length: servers }, (_, i) => ({ address: `server-${i + 1}`, role: "worker" })),
  ],
};

const supervisors: ClusterSupervisor[] = [];

afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.stop();
});

function firstExits(supervisor: ClusterSupervisor, count: number): Promise<ChildExit[]> {
  const exits: ChildExit[] = [];
  return new Promise((resolve) => {
    supervisor.on("exit", (exit: ChildExit) => {
      if (exits.some((seen) => seen.address === exit.address)) return;
      exits.push(exit);
      if (exits.length === count) resolve(exits);
    });
  });
}

describe("the cluster supervisor", () => {
  it("starts the layout's nodes and restarts only those of a restartable role", async () => {
    const supervisor = new ClusterSupervisor({
      cluster: "hh-supervisor",
      url: "amqp://127.0.0.1:1",
      protocol: madeUp,
      servers: 1,
      nodeArgs: [],
      restartDead: true,
      // Their one line each (the usage error) goes to a file, not into the test's output.
      logs: { directory: mkdtempSync(path.join(os.tmpdir(), "hh-supervisor-")) },
    });
    supervisors.push(supervisor);
    expect(supervisor.addresses).toEqual(["coordinator", "server-1"]);
    const exits = firstExits(supervisor, 2);
    supervisor.start();
    const byAddress = new Map((await exits).map((exit) => [exit.address, exit]));
    expect(byAddress.get("coordinator")).toMatchObject({
      code: 2,
      action: "left dead",
      reason: "a coordinator is not restarted; restart the cluster",
    });
    expect(byAddress.get("server-1")).toMatchObject({ code: 2, action: "restarting" });
  });

  it("starts on request only the nodes it was told a running cluster may add (the `start` control command)", async () => {
    const supervisor = new ClusterSupervisor({
      cluster: "hh-supervisor",
      url: "amqp://127.0.0.1:1",
      protocol: madeUp,
      servers: 1,
      startable: ["server-7"],
      nodeArgs: [],
      restartDead: false,
      logs: { directory: mkdtempSync(path.join(os.tmpdir(), "hh-supervisor-")) },
    });
    supervisors.push(supervisor);
    expect(supervisor.startOnRequest("server-8")).toEqual({
      started: false,
      detail: "not a node this made-up cluster may start",
    });
    const exits = firstExits(supervisor, 1);
    const started = supervisor.startOnRequest("server-7");
    expect(started.started).toBe(true);
    expect(started.detail).toMatch(/^process \d+ started$/);
    expect(supervisor.addresses).toEqual(["coordinator", "server-1", "server-7"]); // its queues go at the end
    // Its role is the protocol's for its address (a worker): it exits at once here, left dead (restarts disabled).
    expect((await exits)[0]).toMatchObject({ address: "server-7", code: 2, action: "left dead" });
  });
});
