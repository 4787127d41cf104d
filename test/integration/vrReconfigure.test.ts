// VR reconfiguration as users run it (issue 19, items 3 and 5): `npm run
// cluster -- --protocol vr` (secure by default), then `npm run reconfigure`
// grows the group 3 → 5 (new replicas started by the cluster's supervisor),
// replaces a member, and shrinks it back to 3 (the primary among the
// removed); after each, `kv view` shows the next epoch and its members and
// the data reads back; a load runs through all of it and its history is
// linearizable; a removed primary's process exits as retired and is not
// restarted; bad requests exit 2 and change nothing; a new kv process finds
// the final group although none of its configured slots (server-1 … 3) is
// in it; the final group survives a crashed member.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { nanoid } from "nanoid";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { View } from "../../src/schemas/view.js";
import { type CliRun, runCli } from "../support/cli.js";
import { GroupRun } from "../support/processGroup.js";

const url = inject("amqpUrl");
const cluster = `rcb-${nanoid(8).replace(/[^A-Za-z0-9]/g, "x")}`;
const common = ["--cluster", cluster, "--url", url, "--protocol", "vr"];
// Looser than the defaults (100 ms), as test/integration/vr.test.ts: the suite shares 2 cores, and
// needless view changes move the primary between reading the view and removing it.
const timing = ["--view-change-timeout-ms", "300", "--tick-ms", "25"];
let run: GroupRun;
/** The replicas reconfigurations took out, in order. */
const removed: string[] = [];

async function cli(command: string, ...args: string[]): Promise<CliRun> {
  return runCli(command, [...args, ...common]);
}

async function view(): Promise<View> {
  const answer = await cli("kv", "view");
  expect(answer.code, answer.stderr).toBe(0);
  return JSON.parse(answer.stdout) as View;
}

async function reconfigure(...args: string[]): Promise<CliRun> {
  const answer = await cli("reconfigure", ...args, "--timeout-ms", "60000");
  console.log(
    `[vrReconfigure] reconfigure ${args.join(" ")} (exit ${answer.code}):\n${answer.stdout}${answer.stderr}`,
  );
  return answer;
}

async function expectRead(key: string, value: string): Promise<void> {
  const answer = await cli("kv", "get", key, "--timeout-ms", "10000");
  expect(answer.stderr).toBe("");
  expect(answer.stdout).toBe(`${value}\n`);
}

/** The supervisor's line for a node process that exited, if it printed one. */
function exitLine(node: string): string | undefined {
  return run.output.split("\n").find((line) => line.includes(` ${node} `) && /process \d+ exited/.test(line));
}

describe("npm run reconfigure on a VR cluster", () => {
  beforeAll(async () => {
    run = new GroupRun(process.execPath, ["--import", "tsx", "src/cli/cluster.ts", ...common, ...timing]);
    await run.waitFor(/is primary in view/, 60_000);
  }, 90_000);
  afterAll(async () => {
    run.interruptGroup();
    const stopped = await Promise.race([
      run.exited.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 20_000)),
    ]);
    if (!stopped) run.killGroup();
    expect(run.output).toMatch(/deleted the vhost/);
  }, 30_000);

  it("grows, replaces and shrinks the group under load; the data stays, the history is linearizable", async () => {
    expect((await cli("kv", "put", "a", "1")).stdout).toBe("ok\n");
    const history = path.join(mkdtempSync(path.join(os.tmpdir(), "pbkv-rcb-")), "load.jsonl");
    const load = cli("load", "--clients", "4", "--keys", "5", "--duration", "40", "--history", history);

    const grow = await reconfigure("--add", "2");
    expect(grow.code).toBe(0);
    expect(grow.stdout).toMatch(/epoch 1 runs: server-1, server-2, server-3, server-4, server-5/);
    expect(await view()).toMatchObject({
      epoch: 1,
      replicas: ["server-1", "server-2", "server-3", "server-4", "server-5"],
    });
    await expectRead("a", "1");

    const replace = await reconfigure("--add", "1", "--remove", "server-1");
    expect(replace.code).toBe(0);
    removed.push("server-1");
    expect(replace.stdout).toMatch(/server-6: spare/);
    expect(await view()).toMatchObject({
      epoch: 2,
      replicas: ["server-2", "server-3", "server-4", "server-5", "server-6"],
    });
    await expectRead("a", "1");

    // Shrink back to 3, the primary among the removed: it retires once the new group runs.
    const before = await view();
    const primary = before.primary!;
    const other = before.replicas!.find((member) => member !== primary)!;
    const shrink = await reconfigure("--remove", primary, "--remove", other);
    expect(shrink.code).toBe(0);
    removed.push(primary, other);
    const kept = before.replicas!.filter((member) => member !== primary && member !== other);
    expect(await view()).toMatchObject({ epoch: 3, replicas: kept });
    expect((await cli("kv", "view", "epoch")).stdout).toBe("3\n");
    await expectRead("a", "1");
    // The primary executed the reconfiguration as a member of epoch 2: it retires once the new group runs.
    await run.waitFor(new RegExp(`${primary} +process \\d+ exited with code 75; left dead: retired`), 20_000);
    for (const node of removed)
      expect(run.output).not.toMatch(new RegExp(`${node} +process \\d+ exited.*restart in`));

    const loaded = await load;
    console.log(`[vrReconfigure] load:\n${loaded.stdout}${loaded.stderr}`);
    expect(loaded.code, loaded.stdout + loaded.stderr).toBe(0); // linearizable

    // Bad requests: refused with exit 2, the group unchanged.
    expect((await reconfigure("--remove", kept[0]!)).code).toBe(2);
    expect((await reconfigure("--remove", "server-12")).code).toBe(2);
    expect((await reconfigure("--remove", "nobody")).code).toBe(2);
    expect(await view()).toMatchObject({ epoch: 3, replicas: kept });

    // The final group survives a crashed member (kv processes configured with server-1 … 3 find it).
    const crashed = kept[0]!;
    expect((await cli("fault", "crash", crashed)).code).toBe(0);
    await expectRead("a", "1");
    expect((await cli("kv", "put", "b", "2", "--timeout-ms", "10000")).stdout).toBe("ok\n");
    await expectRead("b", "2");
  }, 240_000);

  // A removed backup retires too (it used to learn the next epoch from a StartEpoch before it
  // executed the reconfiguration, and idle as a spare).
  it("every removed replica's process exits as retired (also the backups)", async () => {
    expect(removed).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    for (const node of removed)
      expect(exitLine(node), `${node}'s process`).toMatch(/code 75; left dead: retired/);
  }, 20_000);
});
