import { applyEntry, type App } from "../../kv/atMostOnce.js";
import type { ClusterInvariant, LiveNode } from "../protocol.js";
import { isReadyPrimary, type ServerState } from "./server.js";
import { cloneApp } from "./search/clone.js";

// Primary/backup's cluster-wide invariant (DESIGN §1): what must hold across
// nodes at every moment, checked on the live nodes' states by the simulator
// after every event and by the model checker on every state. (One primary per
// view is every protocol's rule, checked by the drivers from `served` events:
// src/sim/served.ts.)

/** True when `backup` is the installed backup of `primary`'s view, so the two must agree. */
export function arePairedInOneView(
  primary: ServerState,
  backupAddress: string,
  backup: ServerState,
): boolean {
  return (
    isReadyPrimary(primary) &&
    primary.view.backup === backupAddress &&
    backup.role === "backup" &&
    backup.app !== null &&
    backup.view.viewNum === primary.view.viewNum &&
    // The pair is the process that confirmed the transfer: a restart under the
    // same name may hold an old transfer, but the primary ignores its acks.
    backup.incarnation === primary.backupIncarnation
  );
}

const scratchChanges: App = { applied: 0, timeMs: 0, store: new Map(), lastByClient: new Map() };

/**
 * What the first `ahead` pending operations change when applied to `app`:
 * an App holding only the keys and clients they touch (so the check copies
 * no whole store: it runs after every server event in the simulator).
 */
function changesOf(app: App, pending: ServerState["pending"], ahead: number): App {
  // One scratch App reused (cleared) by every check: its contents are read before the next check starts.
  const touched = scratchChanges;
  touched.applied = app.applied;
  touched.timeMs = app.timeMs;
  touched.store.clear();
  touched.lastByClient.clear();
  // Sessions not copied yet are as the primary applied them: an expire entry
  // of these would have forgotten those last active before its time.
  let forgottenBeforeMs = -Infinity;
  for (let i = 0; i < ahead; i++) {
    const entry = pending[i]!;
    if (entry.type === "expire") forgottenBeforeMs = Math.max(forgottenBeforeMs, entry.beforeMs);
    if (entry.type === "op") {
      const value = app.store.get(entry.op.key);
      if (value !== undefined && !touched.store.has(entry.op.key)) touched.store.set(entry.op.key, value);
    }
    if (entry.type !== "expire" && !touched.lastByClient.has(entry.client)) {
      const last = app.lastByClient.get(entry.client);
      if (last !== undefined && last.activeMs >= forgottenBeforeMs)
        touched.lastByClient.set(entry.client, last);
    }
    applyEntry(touched, entry);
  }
  return touched;
}

/**
 * The values of a backup's store last found equal to what its primary
 * implies, by key. Strings never change, so while both sides still hold the
 * same string objects the answer stands, and the O(length) comparison of two
 * equal strings built apart is skipped: after an operation only the key it
 * touched is compared again (the simulator checks after every server event).
 */
const agreedValues = new WeakMap<App, Agreed>();

type Agreed = Map<string, { expected: string; held: string }>;

/** The backup holds `expected` at `key` (a plain function: no closure per check on the hot path). */
function agrees(agreed: Agreed, backup: App, key: string, expected: string): boolean {
  const held = backup.store.get(key);
  const known = agreed.get(key);
  if (known !== undefined && known.expected === expected && known.held === held) return true;
  if (held !== expected) return false;
  if (known === undefined) agreed.set(key, { expected, held });
  else {
    known.expected = expected;
    known.held = held;
  }
  return true;
}

/** `backup` holds `primary`'s store with `changes` applied over it. */
function sameStore(primary: App, changes: App | null, backup: App): boolean {
  let agreed = agreedValues.get(backup);
  if (agreed === undefined) agreedValues.set(backup, (agreed = new Map()));
  let size = primary.store.size;
  if (changes !== null)
    for (const [key, value] of changes.store) {
      if (!primary.store.has(key)) size += 1;
      if (!agrees(agreed, backup, key, value)) return false;
    }
  if (backup.store.size !== size) return false;
  for (const [key, value] of primary.store)
    if ((changes === null || !changes.store.has(key)) && !agrees(agreed, backup, key, value)) return false;
  return true;
}

/**
 * The backup never holds an operation the primary does not know: it has
 * applied at least what the primary applied and at most that plus the
 * primary's pending operations, and its store is the primary's with exactly
 * those pending operations applied. Call only for a pair in one view.
 */
export function checkBackupConsistency(primary: ServerState, backup: ServerState): string | null {
  const primaryApp = primary.app;
  const backupApp = backup.app;
  if (primaryApp === null || backupApp === null) return null;
  const ahead = backupApp.applied - primaryApp.applied;
  if (ahead < 0)
    return `the backup applied ${backupApp.applied} operations, fewer than the primary's ${primaryApp.applied}`;
  if (ahead > primary.pending.length)
    return `the backup applied ${backupApp.applied} operations but the primary knows only ${primaryApp.applied} applied + ${primary.pending.length} pending`;
  const changes = ahead > 0 ? changesOf(primaryApp, primary.pending, ahead) : null;
  if (!sameStore(primaryApp, changes, backupApp)) {
    const expected = cloneApp(primaryApp);
    for (const [key, value] of changes?.store ?? []) expected.store.set(key, value);
    const show = (app: App): string =>
      JSON.stringify([...app.store.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
    return `the backup's store ${show(backupApp)} is not the primary's with its first ${ahead} pending operations applied ${show(expected)}`;
  }
  return null;
}

/** The live installed backup of `primary` when it is a ready primary with one, else null. */
function pairedBackupOf(primary: ServerState, nodes: ReadonlyMap<string, LiveNode>): ServerState | null {
  const backupAddress = primary.view.backup;
  if (primary.role !== "primary" || backupAddress === null) return null;
  const backupNode = nodes.get(backupAddress);
  if (backupNode === undefined || backupNode.role !== "server") return null;
  const backup = backupNode.state as ServerState;
  return arePairedInOneView(primary, backupAddress, backup) ? backup : null;
}

/** What a pair's verdict was computed from: the stores change only with these. */
interface PairSeen {
  backup: ServerState;
  primaryApp: App;
  primaryApplied: number;
  pending: ServerState["pending"];
  backupApp: App;
  backupApplied: number;
}

/**
 * Pairs found consistent, by primary state object. A store changes only by
 * applying operations (`applied` grows) or by installing a transfer (a new
 * App), and the expected store reads only the head of `pending`: while none
 * of these moved, the verdict stands. Comparing stores is O(size of the
 * values), and the simulator asks after every server event: without this the
 * check would cost more than the run (bench-sim: 700k events/s to 310k).
 * Model-checker states never change, so identical objects are identical states.
 */
const consistentPairs = new WeakMap<ServerState, PairSeen>();

function alreadyConsistent(primary: ServerState, backup: ServerState): boolean {
  const seen = consistentPairs.get(primary);
  return (
    seen !== undefined &&
    seen.backup === backup &&
    seen.primaryApp === primary.app &&
    seen.primaryApplied === primary.app!.applied &&
    seen.pending === primary.pending &&
    seen.backupApp === backup.app &&
    seen.backupApplied === backup.app!.applied
  );
}

function checkPair(primary: ServerState, backup: ServerState): string | null {
  if (alreadyConsistent(primary, backup)) return null;
  const broken = checkBackupConsistency(primary, backup);
  if (broken === null) {
    consistentPairs.set(primary, {
      backup,
      primaryApp: primary.app!,
      primaryApplied: primary.app!.applied,
      pending: primary.pending,
      backupApp: backup.app!,
      backupApplied: backup.app!.applied,
    });
  }
  return broken;
}

/** A backup never holds an operation its primary lacks, nor a different store, in the same view. */
export const backupConsistent: ClusterInvariant = {
  name: "backupConsistent",
  roles: ["server"],
  check(nodes) {
    // Over the values, not the entries: no pair array per node on the simulator's hot path.
    for (const node of nodes.values()) {
      if (node.role !== "server") continue;
      const primary = node.state as ServerState;
      const backup = pairedBackupOf(primary, nodes);
      if (backup === null) continue;
      const broken = checkPair(primary, backup);
      if (broken === null) continue;
      const { view } = primary;
      const address = [...nodes].find(([, other]) => other === node)![0];
      return `${view.backup} (backup) vs ${address} (primary) in view ${view.viewNum}: ${broken}`;
    }
    return null;
  },
};

export const pbClusterInvariants: readonly ClusterInvariant[] = [backupConsistent];
