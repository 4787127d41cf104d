// The dashboard server's guards (src/dashboard/server.ts): which Host
// headers it answers, and which files a URL path may reach.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAllowedHost, staticFile } from "../../src/dashboard/server.js";

describe("isAllowedHost", () => {
  it("on a loopback address answers loopback names only (no DNS rebinding)", () => {
    expect(isAllowedHost("127.0.0.1:8080", "127.0.0.1")).toBe(true);
    expect(isAllowedHost("localhost:8080", "127.0.0.1")).toBe(true);
    expect(isAllowedHost("[::1]:8080", "::1")).toBe(true);
    expect(isAllowedHost("evil.example:8080", "127.0.0.1")).toBe(false);
    expect(isAllowedHost(undefined, "127.0.0.1")).toBe(false);
  });

  it("bound elsewhere, leaves names to the operator", () => {
    expect(isAllowedHost("dashboard.lan:8080", "0.0.0.0")).toBe(true);
  });
});

describe("staticFile", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "pbkv-static-"));
  mkdirSync(path.join(root, "assets"));
  writeFileSync(path.join(root, "index.html"), "<!doctype html>");
  writeFileSync(path.join(root, "assets", "a.js"), "");
  writeFileSync(path.join(path.dirname(root), `${path.basename(root)}-secret`), "");
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(path.join(path.dirname(root), `${path.basename(root)}-secret`), { force: true });
  });

  it("serves the page at / and the built assets", () => {
    expect(staticFile("/", root)).toBe(path.join(root, "index.html"));
    expect(staticFile("/assets/a.js", root)).toBe(path.join(root, "assets", "a.js"));
  });

  it("never leaves the build directory, and refuses what is not a file", () => {
    expect(staticFile("/../package.json", root)).toBeNull();
    expect(staticFile("/%2e%2e/package.json", root)).toBeNull();
    expect(staticFile(`/../${path.basename(root)}-secret`, root)).toBeNull();
    expect(staticFile("/assets", root)).toBeNull();
    expect(staticFile("/missing.js", root)).toBeNull();
    expect(staticFile("/%E0%A4%A", root)).toBeNull();
  });
});
