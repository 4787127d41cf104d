// Starts a cluster as child processes, one per node of the protocol's layout
// (`src/cli/node.ts`), watches them, restarts a dead node whose role is
// restartable (not one stopped by a broken invariant; for pb never the view
// server, whose views cannot be rebuilt), and stops them all. `npm run
// cluster` and the integration harness use it.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AnyProtocol, RoleSpec } from "../protocols/protocol.js";
import type { Address } from "../schemas/address.js";

/** The repository root, where `src/cli/node.ts` lives. */
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const nodeEntry = path.join(repositoryRoot, "src/cli/node.ts");
/** Exit code of a node stopped by a fatal error (a broken invariant): not restarted. */
export const fatalExitCode = 70;
/**
 * Exit code of a node its protocol retired (a VR replica a reconfiguration
 * removed, once the new group runs): its work is done, it is not restarted.
 */
export const retiredExitCode = 75;
export const restartDelayMs = 1_000;
/** More deaths than this within restartWindowMs and the node is left dead. */
export const restartsMax = 5;
export const restartWindowMs = 60_000;
/** After SIGTERM, a child gets this long before SIGKILL. */
export const stopGraceMs = 5_000;

export interface SupervisorOptions {
  cluster: string;
  /** The broker URL every node connects with, unless `nodeUrls` names its own (a secure cluster's node users). */
  url: string;
  nodeUrls?: ReadonlyMap<Address, string>;
  /** Its layout names the nodes; its roles say which may be restarted. Nodes get `--protocol` from it. */
  protocol: AnyProtocol;
  servers: number;
  /**
   * Nodes beyond the layout that a running cluster may add on request
   * (`startOnRequest`, the `start` control command): VR's other replica slots.
   */
  startable?: readonly Address[];
  /** Extra node arguments: protocol settings, --debug, --verbose. */
  nodeArgs: string[];
  /** Restart a node whose process died (not one stopped by a broken invariant; never one of a role that is not restartable). */
  restartDead: boolean;
  /** "inherit": children share our stderr; a directory: one log file per node there. */
  logs: "inherit" | { directory: string };
}

export interface ChildExit {
  address: Address;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the supervisor does about it. */
  action: "restarting" | "left dead" | "stopped";
  reason: string;
}

interface ChildRecord {
  address: Address;
  role: RoleSpec;
  process: ChildProcess | null;
  deaths: number[];
  restartTimer: NodeJS.Timeout | null;
  log: WriteStream | null;
}

/** Emits `exit` (ChildExit) and `spawn` ({address, pid}). */
export class ClusterSupervisor extends EventEmitter {
  private readonly children = new Map<Address, ChildRecord>();
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {
    super();
    for (const { address, role: name } of options.protocol.layout(options.servers)) {
      const role = options.protocol.roles.find((spec) => spec.name === name);
      if (role === undefined)
        throw new Error(`${options.protocol.name}'s layout names an unknown role "${name}"`);
      this.children.set(address, { address, role, process: null, deaths: [], restartTimer: null, log: null });
    }
  }

  get addresses(): Address[] {
    return [...this.children.keys()];
  }

  start(): void {
    for (const record of this.children.values()) this.spawnChild(record);
  }

  pidOf(address: Address): number | undefined {
    return this.children.get(address)?.process?.pid;
  }

  isRunning(address: Address): boolean {
    const child = this.children.get(address)?.process;
    return child !== null && child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Sends a signal to one node's process (tests: SIGKILL). */
  kill(address: Address, signal: NodeJS.Signals): boolean {
    return this.children.get(address)?.process?.kill(signal) ?? false;
  }

  /** Starts a node that is not running (after `left dead`, or to restart by hand). */
  restart(address: Address): void {
    const record = this.children.get(address);
    if (record === undefined || this.isRunning(address)) return;
    if (record.restartTimer !== null) clearTimeout(record.restartTimer);
    record.restartTimer = null;
    this.spawnChild(record);
  }

  /**
   * Starts a node the layout did not (one of `startable`) or one that is not
   * running; what it did, in a few words, or why not (`refused`).
   */
  startOnRequest(address: Address): { started: boolean; detail: string } {
    if (this.stopping) return { started: false, detail: "the cluster is stopping" };
    if (this.isRunning(address)) return { started: false, detail: "already running" };
    let record = this.children.get(address);
    if (record === undefined) {
      const role = this.options.startable?.includes(address) === true ? this.roleOf(address) : undefined;
      if (role === undefined)
        return { started: false, detail: `not a node this ${this.options.protocol.name} cluster may start` };
      record = { address, role, process: null, deaths: [], restartTimer: null, log: null };
      this.children.set(address, record);
    }
    this.restart(address);
    return { started: true, detail: `process ${record.process?.pid ?? "?"} started` };
  }

  private roleOf(address: Address): RoleSpec | undefined {
    const name = this.options.protocol.roleOf(address);
    return this.options.protocol.roles.find((spec) => spec.name === name);
  }

  /** SIGTERM to every child, SIGKILL after the grace period; resolves when all exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits: Promise<void>[] = [];
    for (const record of this.children.values()) {
      if (record.restartTimer !== null) clearTimeout(record.restartTimer);
      const child = record.process;
      if (child === null || child.exitCode !== null || child.signalCode !== null) continue;
      exits.push(
        new Promise<void>((resolve) => {
          const killer = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
          child.once("exit", () => {
            clearTimeout(killer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
      );
    }
    await Promise.all(exits);
    for (const record of this.children.values()) record.log?.end();
  }

  /**
   * SIGKILL to every child, synchronously: the last act of a command forced to
   * exit (a second Ctrl-C), which cannot wait for a clean stop.
   */
  killAll(): void {
    this.stopping = true;
    for (const record of this.children.values()) {
      if (record.restartTimer !== null) clearTimeout(record.restartTimer);
      const child = record.process;
      if (child !== null && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }

  private spawnChild(record: ChildRecord): void {
    const args = [
      "--import",
      "tsx",
      nodeEntry,
      "--protocol",
      this.options.protocol.name,
      "--role",
      record.role.name,
      "--address",
      record.address,
      "--cluster",
      this.options.cluster,
      "--parent-pid",
      String(process.pid),
      ...this.options.nodeArgs,
    ];
    const logs = this.options.logs;
    if (logs !== "inherit" && record.log === null) {
      record.log = createWriteStream(path.join(logs.directory, `${record.address}.log`), { flags: "a" });
    }
    const child = spawn(process.execPath, args, {
      cwd: repositoryRoot,
      // A process group of its own: a terminal's Ctrl-C signals the whole foreground
      // group, and the nodes must stop when the supervisor says (after it stopped
      // restarting them), not on their own at the same moment. A node whose
      // supervisor is gone stops by itself (--parent-pid).
      detached: true,
      stdio: ["ignore", logs === "inherit" ? "inherit" : "pipe", logs === "inherit" ? "inherit" : "pipe"],
      // The URL (a secure cluster's carries the node's password) goes in the environment, not in `ps`.
      env: { ...process.env, RABBITMQ_URL: this.options.nodeUrls?.get(record.address) ?? this.options.url },
    });
    if (record.log !== null) {
      child.stdout?.pipe(record.log, { end: false });
      child.stderr?.pipe(record.log, { end: false });
    }
    record.process = child;
    child.on("error", (error) => this.emit("spawnError", { address: record.address, error }));
    child.once("exit", (code, signal) => this.onChildExit(record, child, code, signal));
    this.emit("spawn", { address: record.address, pid: child.pid });
  }

  private onChildExit(
    record: ChildRecord,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (record.process !== child) return;
    const exit: Omit<ChildExit, "action" | "reason"> = {
      address: record.address,
      pid: child.pid,
      code,
      signal,
    };
    if (this.stopping) {
      this.emit("exit", { ...exit, action: "stopped", reason: "cluster stopping" } satisfies ChildExit);
      return;
    }
    const now = performance.now();
    record.deaths = [...record.deaths.filter((at) => now - at < restartWindowMs), now];
    let reason = "";
    if (code === retiredExitCode) reason = "retired: a reconfiguration removed it (see its log)";
    else if (!this.options.restartDead) reason = "restarts disabled";
    else if (code === fatalExitCode) reason = "stopped by a fatal error (see its log)";
    else if (!record.role.restartable) reason = notRestartedReason(record.role);
    else if (record.deaths.length > restartsMax)
      reason = `died ${record.deaths.length} times in ${restartWindowMs} ms`;
    if (reason !== "") {
      this.emit("exit", { ...exit, action: "left dead", reason } satisfies ChildExit);
      return;
    }
    this.emit("exit", {
      ...exit,
      action: "restarting",
      reason: `restart in ${restartDelayMs} ms`,
    } satisfies ChildExit);
    record.restartTimer = setTimeout(() => {
      record.restartTimer = null;
      if (!this.stopping) this.spawnChild(record);
    }, restartDelayMs);
  }
}

/** Why a node of a role that is not restartable stays dead, in the role's own words when it has them. */
function notRestartedReason(role: RoleSpec): string {
  return `${role.notRestartedBecause ?? `a ${role.name} is not restarted`}; restart the cluster`;
}
