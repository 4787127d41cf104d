// The cluster's event lines (`npm run cluster`, both transports): views as
// the nodes that answer the configuration query state them. pb's one view
// server's lines are printed as they come; of several configuring nodes (VR's
// replicas) the same view line is printed once.
import { describe, expect, it } from "vitest";
import { EventPrinter } from "../../src/cli/eventPrinter.js";
import type { AnyProtocol } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { ClusterEvent } from "../../src/schemas/clusterEvents.js";
import type { View } from "../../src/schemas/view.js";

const pb = protocolNamed("pb");
const replicas = ["server-1", "server-2", "server-3"];
const withReplicas: AnyProtocol = {
  ...pb,
  broker: { ...pb.broker, viewQuery: { ...pb.broker.viewQuery, to: () => replicas } },
};

const viewEvent = (node: string, view: View, reason?: string): ClusterEvent => ({
  v: 1,
  cluster: "c",
  node,
  at: Date.UTC(2026, 0, 1, 12, 0, 0),
  type: "view",
  view,
  ...(reason === undefined ? {} : { reason }),
});

function printed(protocol: AnyProtocol, events: ClusterEvent[]): string[] {
  const lines: string[] = [];
  const printer = new EventPrinter(protocol, (line) => lines.push(line.slice(line.indexOf(" ") + 1)));
  for (const event of events) printer.print(event);
  return lines;
}

describe("the event printer's view lines", () => {
  it("prints pb's view server's views, and no other node's", () => {
    const view = { viewNum: 2, primary: "server-1", backup: "server-2" };
    expect(
      printed(pb, [viewEvent("viewserver", view, "server-2 joined"), viewEvent("server-1", view)]),
    ).toEqual(["viewserver   view 2 (server-1, server-2): server-2 joined"]);
  });

  it("prints a view stated by several replicas once, and each change of it", () => {
    const view: View = { viewNum: 4, primary: "server-2", backup: null, replicas, status: "normal" };
    const lines = printed(withReplicas, [
      viewEvent("server-1", view),
      viewEvent("server-2", view),
      viewEvent("server-3", { ...view, status: "recovering" }),
      viewEvent("server-1", view),
    ]);
    expect(lines).toEqual([
      "server-1     view 4 (primary server-2; replicas server-1 server-2 server-3; normal)",
      "server-3     view 4 (primary server-2; replicas server-1 server-2 server-3; recovering)",
      "server-1     view 4 (primary server-2; replicas server-1 server-2 server-3; normal)",
    ]);
  });
});
