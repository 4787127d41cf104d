// The browser side is built by Vite from `web/` into `dist/dashboard/`
// (not committed). `npm run dashboard:build` builds it; the dashboard server
// builds it itself when it is missing or older than its sources, so a clean
// checkout (and `npm test`) needs no separate step.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { repositoryRoot } from "../broker/supervisor.js";

export const webDirectory = path.join(repositoryRoot, "web");
export const distDirectory = path.join(repositoryRoot, "dist", "dashboard");
const indexFile = path.join(distDirectory, "index.html");

export class AssetsMissingError extends Error {
  override readonly name = "AssetsMissingError";
}

/** Newest modification time of the sources under `web/` (0 when there are none). */
function newestSourceMs(directory: string): number {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(full));
    else newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** The built page exists and is not older than any source. */
export function isBuildCurrent(): boolean {
  if (!existsSync(indexFile)) return false;
  return statSync(indexFile).mtimeMs >= newestSourceMs(webDirectory);
}

let building: Promise<void> | null = null;

/** Builds the page unless it is current; concurrent callers share one build. */
export async function ensureBuilt(say: (line: string) => void = () => {}): Promise<void> {
  if (isBuildCurrent()) return;
  building ??= build(say).finally(() => {
    building = null;
  });
  await building;
}

/** Builds into a scratch directory, then swaps it in, so a server never serves half a build. */
async function build(say: (line: string) => void): Promise<void> {
  let vite: typeof import("vite");
  try {
    vite = await import("vite");
  } catch (error) {
    if (existsSync(indexFile)) return; // an older build is better than none
    throw new AssetsMissingError(
      `the dashboard page is not built and Vite is not installed: run npm install, then npm run dashboard:build`,
      { cause: error },
    );
  }
  say("building the dashboard page with Vite (web/ → dist/dashboard/)");
  const scratch = `${distDirectory}.building-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.dirname(distDirectory), { recursive: true });
  await vite.build({
    root: webDirectory,
    configFile: path.join(webDirectory, "vite.config.ts"),
    logLevel: "warn",
    build: { outDir: scratch, emptyOutDir: true },
  });
  rmSync(distDirectory, { recursive: true, force: true });
  renameSync(scratch, distDirectory);
}
