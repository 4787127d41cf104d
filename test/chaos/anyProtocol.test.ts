// What chaos and bench take from the protocol object rather than from pb
// (issue 15): the node arguments of its configuration, the layout line of
// the timeline, and the role losses a run reports (JSON keys in pb's order).
import { describe, expect, it } from "vitest";
import type { ChaosCluster } from "../../src/chaos/cluster.js";
import { Nemesis } from "../../src/chaos/nemesis.js";
import { describeLayout } from "../../src/chaos/run.js";
import { configArguments, configFromOptions, configNumber } from "../../src/protocols/configOptions.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { Random } from "../../src/sim/random.js";

const pb = protocolNamed("pb");

describe("configuration on command lines", () => {
  it("gives a node every option of the protocol with the configuration's value", () => {
    const config = pb.config.make({ clientRetryMs: 100, ...({ pingMs: 40, pingCheckMs: 200 } as object) });
    const args = configArguments(pb, config);
    expect(args.slice(0, 2)).toEqual(["--client-retry-ms", "100"]);
    expect(args).toEqual(expect.arrayContaining(["--ping-ms", "40", "--ping-check-ms", "200"]));
    expect(args).toHaveLength(2 + 2 * pb.config.options.length);
  });

  it("takes a command's values for the protocol's options, the protocol's defaults for the rest", () => {
    const parsed = { clientRetryMs: 70, pingMs: 30, unrelated: 5 }; // as commander parses a command line
    const config = configFromOptions(pb, parsed);
    expect(configNumber(config, "pingMs")).toBe(30);
    expect(config.clientRetryMs).toBe(70);
    expect(configNumber(config, "pingCheckMs")).toBe(configNumber(pb.config.defaults, "pingCheckMs"));
    expect(() => configNumber(config, "nothing")).toThrow(/no number "nothing"/);
  });

  it("refuses a configuration the protocol refuses", () => {
    const parsed = { clientRetryMs: 100, pingMs: 500, pingCheckMs: 100 };
    expect(() => configFromOptions(pb, parsed)).toThrow();
  });
});

describe("a chaos run's words for pb", () => {
  it("names the layout by role", () => {
    expect(describeLayout(pb, 3)).toBe("viewserver + 3 servers");
  });

  it("counts role losses under pb's keys, in the order of its reports", () => {
    const cluster = {
      servers: ["server-1", "server-2", "server-3"],
      uncrashable: ["viewserver"],
      options: { protocol: pb },
    } as unknown as ChaosCluster;
    const nemesis = new Nemesis({
      cluster,
      random: new Random(1),
      failureDetectionMs: 200,
      connectionKills: false,
      pauseMs: [1, 2],
      note: () => {},
    });
    expect(Object.keys(nemesis.roleLosses)).toEqual(["primary", "backup", "idle", "viewserver", "clients"]);
  });
});
