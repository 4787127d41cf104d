// The access record of a secure cluster (src/security/record.ts): owner-only,
// written whole, found while its owner runs, removed once its owner is dead.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccessRecord,
  accessRecordPath,
  liveAccessRecord,
  removeAccessRecord,
  updateAccessRecord,
  writeAccessRecord,
} from "../../src/security/record.js";

const savedTmpdir = process.env["TMPDIR"];
let directory = "";
beforeAll(() => {
  directory = mkdtempSync(path.join(os.tmpdir(), "pbkv-hp-record-"));
  process.env["TMPDIR"] = directory; // os.tmpdir() reads it on every call
});
afterAll(() => {
  if (savedTmpdir === undefined) delete process.env["TMPDIR"];
  else process.env["TMPDIR"] = savedTmpdir;
  rmSync(directory, { recursive: true, force: true });
});

function record(fields: Partial<AccessRecord> = {}): AccessRecord {
  return {
    cluster: "hp-rec",
    brokerUrl: "amqp://guest:guest@127.0.0.1:5672",
    vhost: "pbkv-hp-rec",
    operatorUrl: "amqp://hp-rec.operator:pw@127.0.0.1:5672/pbkv-hp-rec",
    nodeUrls: { viewserver: "amqp://hp-rec.node.viewserver:pw2@127.0.0.1:5672/pbkv-hp-rec" },
    clientUsers: [],
    admin: { kind: "rabbitmqctl", control: { kind: "local" } },
    ownerPid: process.pid,
    ...fields,
  };
}

describe("access record", () => {
  it("is written under <tmp>/pbkv-brokers, readable by its owner only, with no temp file left", () => {
    writeAccessRecord(record());
    const file = accessRecordPath("hp-rec");
    expect(file).toBe(path.join(directory, "pbkv-brokers", "hp-rec.access.json"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(["hp-rec.access.json"]);
    expect(liveAccessRecord("hp-rec")).toEqual(record());
  });

  it("is updated whole and removed", async () => {
    writeAccessRecord(record());
    const updated = await updateAccessRecord("hp-rec", (old) => ({
      ...old,
      clientUsers: [...old.clientUsers, "alice"],
    }));
    expect(updated?.clientUsers).toEqual(["alice"]);
    expect(liveAccessRecord("hp-rec")?.clientUsers).toEqual(["alice"]);
    expect(statSync(accessRecordPath("hp-rec")).mode & 0o777).toBe(0o600);
    removeAccessRecord("hp-rec");
    expect(liveAccessRecord("hp-rec")).toBeNull();
    expect(await updateAccessRecord("hp-rec", (old) => old)).toBeNull();
  });

  it("waits while another update holds the lock, and breaks a lock left by a killed updater", async () => {
    writeAccessRecord(record());
    const lock = `${accessRecordPath("hp-rec")}.lock`;
    writeFileSync(lock, "");
    let done = false;
    const update = updateAccessRecord("hp-rec", (old) => ({ ...old, clientUsers: ["alice"] })).then(
      () => (done = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(done).toBe(false); // held
    rmSync(lock);
    await update;
    expect(liveAccessRecord("hp-rec")?.clientUsers).toEqual(["alice"]);
    writeFileSync(lock, "");
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, longAgo, longAgo);
    await updateAccessRecord("hp-rec", (old) => ({ ...old, clientUsers: [] }));
    expect(liveAccessRecord("hp-rec")?.clientUsers).toEqual([]);
    expect(existsSync(lock)).toBe(false);
    removeAccessRecord("hp-rec");
  });

  it("is stale once its owner is dead: null, and the file (passwords) removed", () => {
    const deadPid = spawnSync("true").pid;
    writeAccessRecord(record({ ownerPid: deadPid }));
    expect(liveAccessRecord("hp-rec")).toBeNull();
    expect(existsSync(accessRecordPath("hp-rec"))).toBe(false);
  });

  it("refuses a file that is not a record, and a record that breaks the schema", () => {
    writeFileSync(accessRecordPath("hp-rec"), "{ not json");
    expect(() => liveAccessRecord("hp-rec")).toThrow(/is not an access record/);
    removeAccessRecord("hp-rec");
    expect(() => writeAccessRecord(record({ operatorUrl: "not a url" }))).toThrow();
    expect(() => accessRecordPath("../etc")).toThrow(/invalid cluster name/);
  });
});
