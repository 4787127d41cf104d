// The package others install (issue 20 §2): `npm pack` builds it (prepack),
// a separate project installs the tarball, and its program imports
// `{ connect } from "pbkv"` and does put, append and get against a running
// broker cluster and on the in-memory transport; its TypeScript compiles
// against the package's declarations.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/cli.js";
import { TestCluster } from "./harness.js";

const run = promisify(execFile);

const program = `
import { connect, OperationTimeoutError } from "pbkv";
const results = {};
for (const options of [{ cluster: process.env.CLUSTER, url: process.env.URL }, { transport: "memory" }]) {
  const kv = await connect(options);
  await kv.put("pkg", "a");
  await kv.append("pkg", "b");
  results[options.transport ?? "broker"] = await kv.get("pkg");
  await kv.close();
}
console.log(JSON.stringify({ ...results, error: new OperationTimeoutError("put", 1).name }));
`;

const typedProgram = `
import { connect, type KvClient, type View } from "pbkv";
const kv: KvClient = await connect({ cluster: "pbkv", timeoutMs: 1000 });
const view: View = await kv.view();
const value: string = await kv.get("k");
console.log(view.viewNum, value);
`;

describe("the packed package in another project", () => {
  let cluster: TestCluster;
  let project: string;
  beforeAll(async () => {
    cluster = await TestCluster.start({ servers: 2 });
    project = mkdtempSync(path.join(os.tmpdir(), "pbkv-consumer-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it("npm pack, npm install ./pbkv-*.tgz, import { connect } from 'pbkv'", async () => {
    await run("npm", ["pack", "--pack-destination", project], { cwd: repoRoot });
    const tarball = readdirSync(project).find((name) => /^pbkv-.*\.tgz$/.test(name));
    expect(tarball).toBeDefined();
    writeFileSync(path.join(project, "package.json"), '{"name":"consumer","private":true,"type":"module"}\n');
    await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", `./${tarball}`], {
      cwd: project,
    });
    writeFileSync(path.join(project, "app.mjs"), program);
    const { stdout } = await run(process.execPath, ["app.mjs"], {
      cwd: project,
      env: { ...process.env, CLUSTER: cluster.names.cluster, URL: cluster.url },
    });
    expect(JSON.parse(stdout)).toEqual({ broker: "ab", memory: "ab", error: "OperationTimeoutError" });
    writeFileSync(path.join(project, "app.ts"), typedProgram);
    const tsc = path.join(repoRoot, "node_modules/.bin/tsc");
    const types = ["--typeRoots", path.join(repoRoot, "node_modules/@types"), "--types", "node"];
    const flags = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"];
    await run(tsc, [...flags, "--target", "es2022", ...types, "app.ts"], { cwd: project });
  });
});
