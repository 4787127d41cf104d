// Chain replication on the dashboard in a real browser (issue 18): a chain of
// three and a spare from the harness, the dashboard on a free port, the page
// open. The banner shows the chain head first; every server shows its place
// (head, middle, tail; the spare idle) and its own figures, the Sent list
// length among them (answers to the `status` command the dashboard sends
// every second); a click on crash for the head shows the relinked chain with
// the inferred cause and the master's words, and the spare joining as the
// new tail; the cut button isolates the tail from the master and heal ends
// it. The cluster is secure, as `npm run cluster` makes it: the page's
// commands must reach the nodes as the operator's (without a browser, a
// command posted to the dashboard shows it). Only the broker and a browser
// can show these.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { chromiumPath, launchHeadlessChromium } from "../../src/dashboard/headlessChromium.js";
import { type RunningDashboard, startDashboard } from "../../src/dashboard/server.js";
import { protocolNamed } from "../../src/protocols/registry.js";
import type { View } from "../../src/schemas/view.js";
import { TestCluster } from "./harness.js";

let cluster: TestCluster;
let dashboard: RunningDashboard;
let browser: BrowserContext;
let page: Page;
let scratch: string;

const hasBrowser = existsSync(chromiumPath);
const fullChain = (view: View): boolean => view.chain?.length === 3 && view.joining === undefined;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "pbkv-dashboard-chain-test-"));
  // Secure, as `npm run cluster` is by default: the page's commands must carry the operator's identity.
  cluster = await TestCluster.start({ protocol: "chain", servers: 4, secure: true });
  await cluster.waitForView(fullChain, 30_000);
  dashboard = await startDashboard({
    protocol: protocolNamed("chain"),
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
  if (!hasBrowser) return;
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
    const file = path.join(os.tmpdir(), `pbkv-dashboard-chain-${cluster.names.cluster}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`dashboard screenshot: ${file}; node logs in ${cluster.logDirectory}`);
  });
}

const cell = (node: string, selector: string): Promise<string> =>
  page.locator(`#nodes tr[data-node="${node}"] ${selector}`).innerText();
const figure = (node: string, name: string): Promise<string> =>
  cell(node, `td.figure[data-figure="${name}"]`);

describe("the dashboard's commands on a secure cluster", () => {
  it("reach the nodes as the operator's: none is rejected as forged", async () => {
    const mark = cluster.events.length;
    const response = await fetch(new URL("/api/control", dashboard.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "net", drop: 0, duplicate: 0, delayMs: [0, 0] }),
    });
    expect(await response.json()).toMatchObject({ ok: true });
    for (const node of cluster.supervisor.addresses)
      await cluster.waitForEvent(
        (event) => cluster.events.indexOf(event) >= mark && event.type === "fault" && event.node === node,
        10_000,
        `${node} applied the dashboard's net command`,
      );
    const forged = cluster.rejectedEvents().filter((event) => event.reason.startsWith("not the operator"));
    expect(forged).toEqual([]);
  });
});

describe.runIf(hasBrowser)("chain replication on the dashboard in a browser", () => {
  it("shows the chain head first, each server's place and its Sent list length", async () => {
    screenshotOnFailure("chain");
    const session = await cluster.clients.newClient();
    for (let index = 0; index < 3; index++)
      await session.invoke({ f: "put", key: `k${index}`, value: "v" }, 5_000);
    await session.stop();
    const view = await cluster.view();
    const chain = view.chain ?? [];
    await expect
      .poll(() => page.locator("#view-chain").innerText(), { timeout: 10_000 })
      .toBe(chain.join(" > "));
    expect(await page.locator("#view-primary").innerText()).toBe(chain[0]);
    await expect
      .poll(() => page.locator("#nodes th.figure").allInnerTexts(), { timeout: 5_000 })
      .toEqual(["place", "sent", "stable"]);
    const places = ["head", "middle", "tail"];
    for (const [index, node] of chain.entries()) {
      await expect.poll(() => cell(node, ".c-role"), { timeout: 5_000 }).toBe(places[index]);
      await expect.poll(() => figure(node, "place"), { timeout: 5_000 }).toBe(places[index]);
      expect(Number(await figure(node, "sent"))).toBeGreaterThanOrEqual(0);
      // Three puts and the session are applied everywhere, and stable once the tail acked them.
      await expect
        .poll(async () => Number(await figure(node, "stable")), { timeout: 5_000 })
        .toBeGreaterThanOrEqual(4);
    }
    const spare = cluster.supervisor.addresses.find(
      (node) => node.startsWith("server-") && !chain.includes(node),
    )!;
    await expect.poll(() => cell(spare, ".c-role"), { timeout: 5_000 }).toBe("idle");
    expect(await figure(spare, "place")).toBe("spare");
  });

  it("a crash of the head shows the relinked chain with its cause and the master's words, then the spare joining", async () => {
    screenshotOnFailure("crash");
    const before = await cluster.view();
    const [head, next] = before.chain ?? [];
    await page.locator(`#nodes tr[data-node="${head}"] button[data-action="crash"]`).click();
    await expect.poll(() => page.locator("#view-primary").innerText(), { timeout: 10_000 }).toBe(next);
    const relinked = page.locator(`#views tbody tr[data-view="${before.viewNum + 1}"]`);
    expect(await relinked.locator("td").nth(4).innerText()).toContain(
      `head ${head} crashed (crash fault): unlinked`,
    );
    expect(await relinked.locator("small.said").innerText()).toMatch(
      new RegExp(`^master: head ${head} .*${next} is the head`),
    );
    const after = await cluster.waitForView(
      (view) => fullChain(view) && !view.chain!.includes(head!),
      15_000,
    );
    await expect
      .poll(() => page.locator("#view-chain").innerText(), { timeout: 5_000 })
      .toBe(after.chain!.join(" > "));
    expect(await page.locator("#views tbody").innerText()).toMatch(/joins: it receives the tail's state/);
    await page.locator(`#nodes tr[data-node="${head}"] button[data-action="restart"]`).click();
    await expect.poll(() => figure(head!, "place"), { timeout: 10_000 }).toBe("spare");
  });

  it("the cut button isolates the tail from the master; heal ends it", async () => {
    screenshotOnFailure("cut");
    const view = await cluster.waitForView(fullChain, 10_000);
    expect(await page.locator("#cut-primary").innerText()).toBe("cut tail ↔ master");
    await page.locator("#cut-primary").click();
    await page
      .locator("#faults")
      .filter({ hasText: `partition ${view.chain!.at(-1)} | master` })
      .waitFor({ timeout: 5_000 });
    await page.locator("#heal").click();
    await page.locator("#faults").filter({ hasText: "no partition" }).waitFor({ timeout: 5_000 });
    // The master relinked without the tail, or it kept its place: either way the chain serves again.
    await cluster.waitForView(fullChain, 15_000);
  });
});
