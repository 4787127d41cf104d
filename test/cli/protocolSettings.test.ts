// A protocol's settings reach the drivers without a broker too (issue 16,
// point 4): `npm run sim -- --protocol vr --replicas 5` runs five replicas;
// a setting of another protocol is a usage error; a replay names the
// settings that differ from the protocol's defaults. chaos defines pb's
// timing flags itself (looser defaults): only one given on its command line
// counts as given.
import { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { CommandError } from "../../src/cli/exitCodes.js";
import {
  addProtocolOptions,
  nonDefaultSettings,
  protocolConfig,
  type ProtocolOptions,
  refuseForeignSettings,
} from "../../src/cli/protocolSettings.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { runCli } from "../support/cli.js";

const vr = protocolNamed("vr");
const pb = protocolNamed("pb");

/** A command like chaos: pb's --ping-ms with a default of its own, then every protocol's settings. */
function chaosLike(args: string[]): Command {
  const program = new Command("test")
    .exitOverride()
    .addOption(new Option("--ping-ms <ms>").default(40))
    .addOption(new Option("--client-retry-ms <ms>").default(100));
  addProtocolOptions(program);
  return program.parse(args, { from: "user" });
}

describe("protocol settings on a command line", () => {
  it("makes the chosen protocol's configuration; another protocol's setting is refused", () => {
    const program = new Command("test").exitOverride();
    addProtocolOptions(program);
    program.parse(["--protocol", "vr", "--replicas", "5"], { from: "user" });
    expect(protocolConfig(program.opts<ProtocolOptions>())).toMatchObject({ replicas: 5 });
    const foreign = new Command("test").exitOverride();
    addProtocolOptions(foreign);
    foreign.parse(["--protocol", "pb", "--replicas", "5"], { from: "user" });
    expect(() => protocolConfig(foreign.opts<ProtocolOptions>())).toThrow(
      /--replicas: not a setting of protocol pb/,
    );
  });

  it("keeps a command's own flag and default, and refuses it for another protocol only when given", () => {
    expect(() => refuseForeignSettings(chaosLike(["--protocol", "vr", "--replicas", "5"]), vr)).not.toThrow();
    expect(() => refuseForeignSettings(chaosLike(["--protocol", "vr", "--ping-ms", "30"]), vr)).toThrow(
      CommandError,
    );
    expect(() => refuseForeignSettings(chaosLike(["--replicas", "5"]), pb)).toThrow(/--replicas/);
    expect(chaosLike([]).opts()).toMatchObject({ pingMs: 40, clientRetryMs: 100 });
  });

  it("names, for a replay, only the settings that differ from the protocol's defaults", () => {
    expect(nonDefaultSettings(vr, vr.config.defaults)).toEqual([]);
    const config = vr.config.make({ replicas: 5, tickMs: 30 } as never);
    expect(nonDefaultSettings(vr, config)).toEqual(["--replicas", "5", "--tick-ms", "30"]);
  });

  it("npm run sim -- --protocol vr --replicas 5 runs five replicas; pb refuses --replicas", async () => {
    const run = await runCli("sim", ["--protocol", "vr", "--replicas", "5", "--seeds", "1", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ runs: 1, servers: 5, violations: 0 });
    const refused = await runCli("sim", ["--replicas", "5", "--seeds", "1"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--replicas: not a setting of protocol pb/);
  });
});
