// The headless Chromium that the dashboard's browser test and its screenshot
// script drive through playwright-core: Debian's package (`apt-get install
// chromium`) unless PBKV_CHROMIUM names another, launched without a sandbox
// (CI runs as root) and without the background traffic a fresh profile makes.
import { chromium, type BrowserContext } from "playwright-core";

export const chromiumPath = process.env["PBKV_CHROMIUM"] ?? "/usr/bin/chromium";

const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A persistent context in `profileDirectory` with a page of `width` × `height`. */
export async function launchHeadlessChromium(
  profileDirectory: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDirectory, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport,
    deviceScaleFactor: 1,
  });
}
