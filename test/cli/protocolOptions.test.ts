// `--protocol` and the protocol's settings flags (issue 15): one helper for
// every command, flags made from `protocol.config.options`, today's names and
// defaults kept, a node started with exactly the settings the command made.
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  addClientTimingOptions,
  addProtocolOptions,
  type ProtocolOptions,
  protocolArguments,
  protocolConfig,
} from "../../src/cli/common.js";
import { protocolNamed } from "../../src/protocols/registry.js";

const pb = protocolNamed("pb");

function parse(args: string[], add = addProtocolOptions): ProtocolOptions {
  const command = add(new Command("test").exitOverride().configureOutput({ writeErr: () => {} }));
  return command.parse(args, { from: "user" }).opts<ProtocolOptions>();
}

describe("the protocol options", () => {
  it("default to pb with its default settings", () => {
    const options = parse([]);
    expect(options.protocol).toBe("pb");
    expect(protocolConfig(options)).toEqual(pb.config.defaults);
  });

  it("have a flag for every setting of the protocol, under today's names", () => {
    const command = addProtocolOptions(new Command("test"));
    const flags = command.options.map((option) => option.long);
    for (const setting of pb.config.options) expect(flags).toContain(`--${setting.flag}`);
    expect(flags).toEqual(
      expect.arrayContaining(["--protocol", "--ping-ms", "--ping-check-ms", "--client-retry-ms"]),
    );
  });

  it("set the configuration field each flag names", () => {
    const options = parse(["--ping-ms", "7", "--forward-window", "3", "--client-retry-ms", "55"]);
    expect(protocolConfig(options)).toMatchObject({ pingMs: 7, forwardWindow: 3, clientRetryMs: 55 });
  });

  it("refuse a value outside the setting's bounds and a protocol not in the registry", () => {
    expect(() => parse(["--forward-window", "0"])).toThrow(/expected a whole number 1-/);
    expect(() => parse(["--protocol", "nope"])).toThrow(/Allowed choices are pb/);
  });

  it("leave out flags the command defines itself", () => {
    const command = new Command("test").option("--forward-window <n>", "the command's own");
    addProtocolOptions(command);
    expect(command.options.filter((option) => option.long === "--forward-window")).toHaveLength(1);
  });

  it("give a client command --protocol, --client-retry-ms and only the settings clients share", () => {
    const command = addClientTimingOptions(new Command("test"));
    // pb's clients reopen their session after half the expiry, VR's find the primary among --replicas
    // (and --spares, the slots they ask as a last resort);
    // the ping, forwarding and view-change settings are the servers' alone.
    expect(command.options.map((option) => option.long)).toEqual([
      "--protocol",
      "--session-expiry-ms",
      "--replicas",
      "--spares",
      "--client-retry-ms",
    ]);
  });

  it("start a node with the settings the command made", () => {
    const config = protocolConfig(parse(["--ping-check-ms", "300"]));
    const nodeOptions = parse(protocolArguments(pb, config));
    expect(protocolConfig(nodeOptions)).toEqual(config);
  });
});
