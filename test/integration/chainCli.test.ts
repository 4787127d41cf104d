// Chain replication as users run it (issue 18, point 1): `npm run cluster --
// --protocol chain --servers 4` starts a master, a chain of three and a
// spare, secure by default (its own vhost and broker users); `kv view` prints
// the chain head first, put/append/get work through `kv` and the library,
// and Ctrl-C leaves no vhost, user or access record behind.
import { nanoid } from "nanoid";
import { afterEach, describe, expect, inject, it } from "vitest";
import { rabbitmqctl } from "../../src/chaos/brokerControl.js";
import { connect } from "../../src/index.js";
import { vhostOf } from "../../src/security/principal.js";
import { liveAccessRecord } from "../../src/security/record.js";
import type { View } from "../../src/schemas/view.js";
import { runCli } from "../support/cli.js";
import { GroupRun } from "../support/processGroup.js";

const url = inject("amqpUrl");
const started: GroupRun[] = [];

afterEach(async () => {
  for (const run of started.splice(0)) {
    run.killGroup();
    await run.exited;
  }
});

/** The cluster's vhost and users still on the broker, and its access record on this machine. */
async function leftovers(cluster: string): Promise<string[]> {
  const control = inject("brokerControl");
  const vhosts = await rabbitmqctl(control, ["-q", "list_vhosts"]);
  const users = await rabbitmqctl(control, ["-q", "list_users"]);
  const names = `${vhosts}\n${users}`.split("\n").map((line) => line.split("\t")[0] ?? "");
  const left = names.filter((name) => name === vhostOf(cluster) || name.startsWith(`${cluster}.`));
  return liveAccessRecord(cluster) === null ? left : [...left, "access record"];
}

describe.runIf(inject("brokerControl").kind !== "none")("npm run cluster -- --protocol chain", () => {
  it("serves a secure chain of three and a spare through kv and the library, head first", async () => {
    const cluster = `itest-${nanoid(8).replace(/[^A-Za-z0-9]/g, "x")}`;
    const common = ["--cluster", cluster, "--url", url, "--protocol", "chain"];
    const run = new GroupRun(process.execPath, [
      "--import",
      "tsx",
      "src/cli/cluster.ts",
      ...common,
      "--servers",
      "4",
    ]);
    started.push(run);
    // The third member linked in: a chain of three.
    await run.waitFor(/view \d+ \(chain server-\d > server-\d > server-\d\)/, 60_000);
    expect(run.output).toMatch(/secure: vhost pbkv-/);

    const view = JSON.parse((await runCli("kv", ["view", ...common])).stdout) as View;
    expect(view.chain).toHaveLength(3);
    expect(view.primary).toBe(view.chain![0]);
    expect(view.backup).toBeNull();
    expect((await runCli("kv", ["view", "chain", ...common])).stdout).toBe(`${view.chain!.join(" ")}\n`);
    expect((await runCli("kv", ["put", "k", "a", ...common])).stdout).toBe("ok\n");
    expect((await runCli("kv", ["append", "k", "b", ...common])).stdout).toBe("ok\n");
    expect((await runCli("kv", ["get", "k", ...common])).stdout).toBe("ab\n");

    const kv = await connect({ cluster, url, protocol: "chain", label: "chain-cli-test", timeoutMs: 10_000 });
    try {
      expect(await kv.append("k", "c")).toBe(3);
      await kv.put("lib", "x");
      expect(await kv.get("k")).toBe("abc");
      expect(await kv.get("lib")).toBe("x");
      // The library's view is the CLI's, unless a loaded machine made the master relink meanwhile.
      const libraryView = await kv.view();
      if (libraryView.viewNum === view.viewNum) expect(libraryView.chain).toEqual(view.chain);
      else expect(libraryView.chain).toHaveLength(3);
    } finally {
      await kv.close();
    }

    run.interruptGroup();
    expect((await run.exited).code).toBe(0);
    expect(await leftovers(cluster)).toEqual([]);
  });
});
