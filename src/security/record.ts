// The access record of a running secure cluster (docs/SECURITY.md): how the
// person who started it reaches it again from the same machine with no flags
// (`npm run kv`, `npm run user -- add NAME`, …). It sits beside the private
// broker records (`<tmp>/pbkv-brokers/<cluster>.access.json`), holds passwords,
// so it is readable by its owner only (0600), and is written whole (a temp
// file renamed over it), so a reader never sees half of one. A record whose
// owner process is gone is stale: its cluster stopped, and it is removed.
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { isAlive } from "../broker/privateBroker.js";
import { clusterNamePattern } from "../broker/topology.js";
import { AdminTarget } from "./admin.js";

export const AccessRecord = z.object({
  cluster: z.string().regex(clusterNamePattern),
  /** The broker's URL as discovered (with whatever credentials it came with). */
  brokerUrl: z.string().url(),
  vhost: z.string().min(1),
  operatorUrl: z.string().url(),
  nodeUrls: z.record(z.string(), z.string().url()),
  /** Client users added with `npm run user -- add` (their names, not their broker users). */
  clientUsers: z.array(z.string()),
  /** How its users are created and deleted. */
  admin: AdminTarget,
  /** The process that runs the cluster (`npm run cluster`): the record lives as long as it does. */
  ownerPid: z.number().int().positive(),
});
export type AccessRecord = z.infer<typeof AccessRecord>;

export function accessRecordDirectory(): string {
  return path.join(os.tmpdir(), "pbkv-brokers");
}

export function accessRecordPath(cluster: string): string {
  if (!clusterNamePattern.test(cluster)) throw new Error(`invalid cluster name ${JSON.stringify(cluster)}`);
  return path.join(accessRecordDirectory(), `${cluster}.access.json`);
}

/** Writes the record atomically, readable by this user only. */
export function writeAccessRecord(record: AccessRecord): void {
  const valid = AccessRecord.parse(record);
  const target = accessRecordPath(valid.cluster);
  ensureOwnDirectory(path.dirname(target));
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    renameSync(temporary, target);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * The shared temp directory is made by whoever comes first: a directory
 * another user owns could have our records swapped, so it is refused.
 */
function ensureOwnDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o755 });
  const status = lstatSync(directory);
  const uid = process.getuid?.();
  if (!status.isDirectory() || (uid !== undefined && status.uid !== uid)) {
    throw new Error(`${directory} is not a directory of this user: refusing to keep passwords there`);
  }
}

/** The record of a cluster whose owner still runs; null when there is none (a stale one is removed). */
export function liveAccessRecord(cluster: string): AccessRecord | null {
  let text: string;
  try {
    text = readFileSync(accessRecordPath(cluster), "utf8");
  } catch {
    return null;
  }
  const parsed = AccessRecord.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new Error(`${accessRecordPath(cluster)} is not an access record: ${parsed.error.message}`);
  }
  if (isAlive(parsed.data.ownerPid)) return parsed.data;
  removeAccessRecord(cluster);
  return null;
}

/** A lock older than this was left by a killed updater. */
const lockStaleMs = 10_000;
const lockWaitMs = 5_000;
const lockPollMs = 25;

/**
 * Applies `change` to the live record of `cluster` and writes it back; null
 * when none is live. Two updates at once (two `npm run user -- add`) take
 * turns on a lock file, so neither loses the other's user.
 */
export async function updateAccessRecord(
  cluster: string,
  change: (record: AccessRecord) => AccessRecord,
): Promise<AccessRecord | null> {
  const lock = `${accessRecordPath(cluster)}.lock`;
  await acquireLock(lock);
  try {
    const record = liveAccessRecord(cluster);
    if (record === null) return null;
    const changed = change(record);
    writeAccessRecord(changed);
    return changed;
  } finally {
    rmSync(lock, { force: true });
  }
}

async function acquireLock(lock: string): Promise<void> {
  ensureOwnDirectory(path.dirname(lock));
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx", 0o600));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (lockAgeMs(lock) > lockStaleMs) rmSync(lock, { force: true });
    else if (Date.now() > deadline)
      throw new Error(`${lock} is held by another update for over ${lockWaitMs} ms`);
    else await new Promise((resolve) => setTimeout(resolve, lockPollMs));
  }
}

function lockAgeMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0; // just released: try again
  }
}

export function removeAccessRecord(cluster: string): void {
  rmSync(accessRecordPath(cluster), { force: true });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // the schema then says what is wrong
  }
}
