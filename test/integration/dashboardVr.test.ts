// VR on the dashboard in a real browser (issue 16): a 3-replica cluster from
// the harness, the dashboard on a free port, the page open. Every replica
// shows its role and its own status, op-number and commit-number (answers to
// the `status` command the dashboard sends every second); a click on crash for
// the primary shows the new view with its inferred cause and the new primary's
// words, the crashed replica loses its figures and, restarted, recovers to
// normal; the cut button isolates the primary from its backups and heal ends
// it. Only the broker and a browser can show these.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { chromiumPath, launchHeadlessChromium } from "../../src/dashboard/headlessChromium.js";
import { type RunningDashboard, startDashboard } from "../../src/dashboard/server.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import { TestCluster } from "./harness.js";

let cluster: TestCluster;
let dashboard: RunningDashboard;
let browser: BrowserContext;
let page: Page;
let scratch: string;

const hasBrowser = existsSync(chromiumPath);
const replicas = ["server-1", "server-2", "server-3"];

beforeAll(async () => {
  if (!hasBrowser) return;
  scratch = mkdtempSync(path.join(os.tmpdir(), "pbkv-dashboard-vr-test-"));
  // Looser than VR's defaults, as test/integration/vr.test.ts: the suite shares 2 cores.
  cluster = await TestCluster.start({ protocol: "vr", settings: { viewChangeTimeoutMs: 300, tickMs: 25 } });
  dashboard = await startDashboard({
    protocol: protocolNamed("vr"),
    config: cluster.config,
    names: cluster.names,
    url: cluster.url,
    host: "127.0.0.1",
    port: 0,
    tap: true,
    samplesPerSecond: 100,
    clientRetryMs: cluster.config.clientRetryMs,
    log: pino({ level: process.env["PBKV_TEST_LOG"] ?? "error" }),
  });
  browser = await launchHeadlessChromium(path.join(scratch, "profile"), { width: 1400, height: 1200 });
  page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(dashboard.url);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await cluster?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function screenshotOnFailure(name: string): void {
  onTestFailed(async () => {
    const file = path.join(os.tmpdir(), `pbkv-dashboard-vr-${cluster.names.cluster}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`dashboard screenshot: ${file}; node logs in ${cluster.logDirectory}`);
  });
}

const cell = (node: string, selector: string): Promise<string> =>
  page.locator(`#nodes tr[data-node="${node}"] ${selector}`).innerText();
const figure = (node: string, name: string): Promise<string> =>
  cell(node, `td.figure[data-figure="${name}"]`);

describe.runIf(hasBrowser)("VR on the dashboard in a browser", () => {
  it("shows every replica with its role, status, epoch, members, op-number and commit-number", async () => {
    screenshotOnFailure("replicas");
    const session = await cluster.clients.newClient();
    for (let index = 0; index < 3; index++)
      await session.invoke({ f: "put", key: `k${index}`, value: "v" }, 5_000);
    await session.stop();
    const view = await cluster.view();
    await expect
      .poll(() => page.locator("#view-primary").innerText(), { timeout: 10_000 })
      .toBe(view.primary);
    expect(await page.locator("#view-replicas").innerText()).toBe(replicas.join(" "));
    // Replica to replica travels on `<c>.peer` (the primary's Commits go out every tick): the tap sees it too.
    await page
      .locator('#diagram g.msg[data-type="Commit"]')
      .first()
      .waitFor({ state: "attached", timeout: 5_000 });
    // The figure columns appear with the first status answers (asked every second).
    await expect
      .poll(() => page.locator("#nodes th.figure").allInnerTexts(), { timeout: 5_000 })
      .toEqual(["status", "epoch", "members", "op-number", "commit-number", "log-start"]);
    for (const node of replicas) {
      await expect.poll(() => figure(node, "status"), { timeout: 5_000 }).toBe("normal");
      expect(await figure(node, "epoch")).toBe("0");
      expect(await figure(node, "members")).toBe("s1 s2 s3");
      await expect
        .poll(() => cell(node, ".c-role"), { timeout: 5_000 })
        .toBe(node === view.primary ? "primary" : "backup");
      // Three puts and the session: at least four entries, committed everywhere once the Commits went out.
      await expect
        .poll(async () => Number(await figure(node, "commitNumber")), { timeout: 5_000 })
        .toBeGreaterThanOrEqual(4);
      expect(Number(await figure(node, "opNumber"))).toBeGreaterThanOrEqual(
        Number(await figure(node, "commitNumber")),
      );
    }
  });

  it("a crash of the primary shows the new view with its cause and the new primary's words; restarted, it recovers", async () => {
    screenshotOnFailure("crash");
    const before = await cluster.view();
    const primary = before.primary ?? "";
    await page.locator(`#nodes tr[data-node="${primary}"] button[data-action="crash"]`).click();
    await expect.poll(() => page.locator("#view-primary").innerText(), { timeout: 10_000 }).not.toBe(primary);
    const newest = page.locator("#views tbody tr").first();
    expect(await newest.locator("td").nth(4).innerText()).toContain(
      `primary ${primary} crashed (crash fault)`,
    );
    expect(await newest.locator("small.said").innerText()).toMatch(/^server-\d: .*moved on from view/);
    await expect.poll(() => figure(primary, "status"), { timeout: 5_000 }).toBe("–");
    await page.locator(`#nodes tr[data-node="${primary}"] button[data-action="restart"]`).click();
    await expect.poll(() => figure(primary, "status"), { timeout: 15_000 }).toBe("normal");
    expect(await cell(primary, ".c-role")).toBe("backup");
  });

  it("the cut button isolates the primary from its backups; heal ends it", async () => {
    screenshotOnFailure("cut");
    const view = await cluster.view();
    await page.locator("#cut-primary").click();
    await page
      .locator("#faults")
      .filter({ hasText: `partition ${view.primary} | ` })
      .waitFor({ timeout: 5_000 });
    await page.locator("#heal").click();
    await page.locator("#faults").filter({ hasText: "no partition" }).waitFor({ timeout: 5_000 });
    // The backups moved on without it, or it kept its role: either way the replicas serve again.
    await cluster.waitForView((current) => current.status === "normal", 15_000);
  });
});
