// Makes docs/dashboard.png: `npx tsx src/dashboard/screenshot.ts [FILE] [--protocol vr] [--cluster NAME]`
// (VR's goes to docs/dashboard-vr.png, chain replication's to docs/dashboard-chain.png).
// Starts `npm run cluster -- --ui` on a throw-away cluster, runs a short
// load (for a verdict, announced by its load events) and then a longer one, sets loss and delay and
// crashes the primary from the page, and photographs it in Debian's chromium
// (PBKV_CHROMIUM to use another). Stops everything it started.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { nanoid } from "nanoid";
import { launchHeadlessChromium } from "./headlessChromium.js";
import { repositoryRoot } from "../broker/supervisor.js";

const args = process.argv.slice(2);
/** The value after `--flag`, if given. */
const option = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
};
const protocol = option("--protocol") ?? "pb";
// The file is the argument that is neither a flag nor a flag's value.
const fileArgument = args.find(
  (arg, index) => !arg.startsWith("--") && !(args[index - 1] ?? "").startsWith("--"),
);
const defaultFile = protocol === "pb" ? "dashboard.png" : `dashboard-${protocol}.png`;
const output = path.resolve(fileArgument ?? path.join(repositoryRoot, "docs", defaultFile));
/** Looser timings than the defaults, so that only the crash changes the view: VR's silence, the others' pings. */
const timings =
  protocol === "vr"
    ? ["--tick-ms", "25", "--view-change-timeout-ms", "300"]
    : ["--ping-ms", "40", "--ping-check-ms", "300"];
const cluster = option("--cluster") ?? `dash-${nanoid(6).replace(/[^A-Za-z0-9]/g, "x")}`;
const port = 18_000 + Math.floor(Math.random() * 1_000);
const scratch = mkdtempSync(path.join(os.tmpdir(), "pbkv-screenshot-"));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function npm(args: string[]): ChildProcess {
  return spawn("npm", ["run", "--silent", ...args], {
    cwd: repositoryRoot,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PBKV_SCREENSHOT: "1" },
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

const clusterProcess = npm([
  "cluster",
  "--",
  "--protocol",
  protocol,
  "--cluster",
  cluster,
  ...timings,
  "--ui",
  String(port),
]);
clusterProcess.stdout?.on("data", (chunk: Buffer) => process.stdout.write(chunk));
const loads: ChildProcess[] = [];
try {
  const browser = await launchHeadlessChromium(path.join(scratch, "profile"), { width: 1400, height: 1000 });
  const page = browser.pages()[0] ?? (await browser.newPage());
  for (let attempt = 0; ; attempt++) {
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      break;
    } catch (error) {
      if (attempt > 60) throw error;
      await sleep(1_000);
    }
  }
  await page
    .locator("#view-backup")
    .filter({ hasText: /^server-/ })
    .waitFor({ timeout: 60_000 });
  const history = path.join(scratch, "warmup.jsonl");
  const warmup = npm([
    "load",
    "--",
    "--protocol",
    protocol,
    "--cluster",
    cluster,
    "--duration",
    "5",
    "--clients",
    "4",
    "--history",
    history,
  ]);
  await exited(warmup);
  const load = npm([
    "load",
    "--",
    "--protocol",
    protocol,
    "--cluster",
    cluster,
    "--duration",
    "30",
    "--clients",
    "6",
    "--history",
    path.join(scratch, "load.jsonl"),
  ]);
  loads.push(load);
  await sleep(6_000);
  await page.fill("#net-drop", "0.08");
  await page.fill("#net-duplicate", "0.05");
  await page.click("#net-apply");
  await sleep(4_000);
  const primary = await page.locator("#view-primary").innerText();
  await page.click(`#nodes tr[data-node="${primary}"] button[data-action="crash"]`);
  await sleep(1_800);
  await page.click("#pause");
  await page.screenshot({ path: output, fullPage: true });
  process.stdout.write(`screenshot: ${output}\n`);
  await browser.close();
} finally {
  for (const load of loads) load.kill("SIGINT");
  await Promise.all(loads.map(exited));
  clusterProcess.kill("SIGINT");
  await exited(clusterProcess);
  rmSync(scratch, { recursive: true, force: true });
}
