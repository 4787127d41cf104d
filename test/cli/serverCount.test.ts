// A cluster's size fixed by its configuration (VR's `replicas`, which clients
// need to find the primary): drivers that take a server count use
// `config.servers` when the protocol has it, and refuse an explicit
// `--servers` that contradicts it, naming both. pb fixes nothing: `--servers`
// (or the driver's default) decides, as before. VR itself is the lead's; a
// stub protocol with a `replicas` setting stands in for it here.
import { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { serversOf, CommandError, positiveInt } from "../../src/cli/common.js";
import { serverCount, ServerCountConflictError } from "../../src/protocols/configOptions.js";
import type { AnyProtocol, ProtocolConfigBase } from "../../src/protocols/protocol.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { exitCodes } from "../../src/cli/exitCodes.js";
import { MemoryCluster } from "../../src/memory/cluster.js";

const pb = protocolNamed("pb");

type ReplicatedConfig = ProtocolConfigBase & { replicas: number };

/** pb's actors, but a configuration that fixes the server count the way VR's does. */
const fixedSize: AnyProtocol = {
  ...pb,
  name: "fixed",
  config: {
    ...pb.config,
    defaults: { ...pb.config.defaults, replicas: 3 } as ReplicatedConfig,
    make: (overrides) => ({ ...pb.config.make(), replicas: 3, ...overrides }) as ReplicatedConfig,
    options: [
      ...pb.config.options,
      { flag: "replicas", field: "replicas", description: "2f+1 replicas", min: 1, clients: true },
    ],
    servers: (config) => (config as ReplicatedConfig).replicas,
  },
};

const withReplicas = (replicas: number): ProtocolConfigBase =>
  fixedSize.config.make({ replicas } as Partial<ProtocolConfigBase>);

describe("serverCount", () => {
  it("is --servers, else the driver's default, for a protocol that fixes no count (pb)", () => {
    expect(serverCount(pb, pb.config.defaults, 5, 3)).toBe(5);
    expect(serverCount(pb, pb.config.defaults, undefined, 3)).toBe(3);
  });

  it("is the configuration's count when the protocol fixes one, whatever the driver's default", () => {
    expect(serverCount(fixedSize, withReplicas(5), undefined, 3)).toBe(5);
    expect(serverCount(fixedSize, withReplicas(5), 5, 3)).toBe(5);
  });

  it("refuses an explicit count that contradicts the configuration, naming both", () => {
    expect(() => serverCount(fixedSize, withReplicas(5), 3, 3)).toThrow(ServerCountConflictError);
    expect(() => serverCount(fixedSize, withReplicas(5), 3, 3)).toThrow(
      /--servers 3 .*fixed.*fixes 5 servers/,
    );
  });
});

describe("serversOf (commands with --servers)", () => {
  function command(args: string[]): { program: Command; servers: number } {
    const program = new Command("test")
      .exitOverride()
      .addOption(new Option("--servers <n>").argParser(positiveInt).default(3));
    program.parse(args, { from: "user" });
    return { program, servers: program.opts<{ servers: number }>().servers };
  }

  it("takes the configuration's count over --servers' default: --protocol vr --replicas 5 starts 5", () => {
    const { program, servers } = command([]);
    expect(serversOf(program, fixedSize, withReplicas(5), servers)).toBe(5);
  });

  it("is a usage error when --servers is given and differs", () => {
    const { program, servers } = command(["--servers", "4"]);
    let error: unknown = null;
    try {
      serversOf(program, fixedSize, withReplicas(5), servers);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).exitCode).toBe(exitCodes.usage);
    expect((error as Error).message).toMatch(/--servers 4.*5 servers/);
  });

  it("accepts a --servers equal to the configuration's, and leaves pb's --servers alone", () => {
    const { program, servers } = command(["--servers", "5"]);
    expect(serversOf(program, fixedSize, withReplicas(5), servers)).toBe(5);
    expect(serversOf(program, pb, pb.config.defaults, servers)).toBe(5);
    const defaulted = command([]);
    expect(serversOf(defaulted.program, pb, pb.config.defaults, defaulted.servers)).toBe(3);
  });
});

describe("the memory transport", () => {
  it("runs the configuration's count of servers, and refuses a contradicting one", () => {
    const cluster = new MemoryCluster({
      protocol: fixedSize,
      config: withReplicas(5),
      checkInvariants: false,
    });
    expect(cluster.servers).toBe(5);
    expect(
      () =>
        new MemoryCluster({
          protocol: fixedSize,
          config: withReplicas(5),
          servers: 3,
          checkInvariants: false,
        }),
    ).toThrow(ServerCountConflictError);
    expect(
      new MemoryCluster({ protocol: pb, config: pb.config.defaults, checkInvariants: false }).servers,
    ).toBe(3);
  });
});
