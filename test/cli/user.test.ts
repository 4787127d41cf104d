// `npm run user` without a running secure cluster (src/cli/user.ts): a bad
// name is a usage error (2) before anything else; no access record means no
// secure cluster here (69), said in one line with what to do.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const tmpdir = mkdtempSync(path.join(os.tmpdir(), "pbkv-hp-usercli-"));
afterAll(() => rmSync(tmpdir, { recursive: true, force: true }));
const env = { TMPDIR: tmpdir };

describe("npm run user", () => {
  it("refuses a malformed or reserved name with exit 2", async () => {
    for (const name of ["Bad-Name", "operator"]) {
      const run = await runCli("user", ["add", name, "--cluster", "hp-cli"], undefined, env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: .*(invalid client user name|reserved)/);
    }
  });

  it("exits 69 naming the record it looked for when no secure cluster of that name runs here", async () => {
    const run = await runCli("user", ["list", "--cluster", "hp-cli"], undefined, env);
    expect(run.code).toBe(69);
    expect(run.stderr).toContain(`no secure cluster "hp-cli" runs on this machine`);
    expect(run.stderr).toContain(path.join(tmpdir, "pbkv-brokers", "hp-cli.access.json"));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
