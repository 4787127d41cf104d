// What users would pick instead, measured beside pbkv (`etcd` and `redis`
// rows, issue 21): each started by the bench on free local ports with its
// data in a temp directory, driven by the same closed loop and operation mix,
// and stopped and deleted afterwards. A row appears only where the server is
// installed (Debian: etcd-server, redis-server).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { isPortOpen } from "../broker/ports.js";
import type { BenchSession, SessionPool } from "./closedLoop.js";

export type PeerSystem = "etcd" | "redis";

/** What a peer row needs to know about its system. */
export interface PeerSpec {
  system: PeerSystem;
  /** The server program, found on PATH. */
  program: string;
  /** What it guarantees, for the table's notes. */
  guarantees: string;
}

export const peerSpecs: readonly PeerSpec[] = [
  {
    system: "etcd",
    program: "etcd",
    guarantees:
      "3 members, Raft, every write fsynced to a majority's WAL, linearizable reads: safe across failover and restarts",
  },
  {
    system: "redis",
    program: "redis-server",
    guarantees:
      "primary + replica, WAIT 1 after each write (the replica has it), no persistence; its failover can lose acknowledged writes",
  },
];

/** The peers whose server is installed here. */
export function installedPeers(): PeerSpec[] {
  return peerSpecs.filter((spec) => spawnSync("which", [spec.program], { stdio: "ignore" }).status === 0);
}

/** Processes of one peer system and the sessions that drive it. */
export class PeerTarget {
  readonly events: never[] = [];
  servedOps = 0;
  private readonly exited: string[] = [];

  constructor(
    readonly names: { cluster: string },
    readonly pool: SessionPool,
    private readonly processes: ChildProcess[],
    readonly dataDirectory: string,
  ) {
    for (const child of processes) {
      child.once("exit", (code, signal) => this.exited.push(`pid ${child.pid}: ${signal ?? `code ${code}`}`));
    }
  }

  async ready(): Promise<void> {}

  viewChangesSince(): number {
    return 0;
  }

  assertHealthy(): void {
    if (this.exited.length > 0)
      throw new Error(`${this.names.cluster}: a server exited (${this.exited.join("; ")})`);
  }

  /** Kills the processes at once (a second Ctrl-C); exclusive queues go with them. */
  killAll(): void {
    for (const child of this.processes) child.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.pool.close();
    await Promise.all(this.processes.map((child) => stopProcess(child)));
    rmSync(this.dataDirectory, { recursive: true, force: true });
  }
}

export function peerDataDirectory(system: PeerSystem): string {
  return mkdtempSync(path.join(os.tmpdir(), `pbkv-bench-${system}-`));
}

export function spawnPeer(program: string, args: string[], cwd: string): ChildProcess {
  return spawn(program, args, { cwd, stdio: "ignore" });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Waits until every port accepts connections; throws (after stopping them) when one does not in time. */
export async function untilListening(
  ports: number[],
  processes: ChildProcess[],
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const port of ports) {
    while (!(await isPortOpen("127.0.0.1", port))) {
      if (performance.now() > deadline || processes.some((child) => child.exitCode !== null)) {
        await Promise.all(processes.map((child) => stopProcess(child)));
        throw new Error(`port ${port} not listening within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A pool of sessions made by `make`; a peer's sessions are never retired. */
export class PeerPool implements SessionPool {
  private readonly sessions: (BenchSession & { close(): Promise<void> })[] = [];

  constructor(private readonly make: (index: number) => Promise<BenchSession & { close(): Promise<void> }>) {}

  async ensure(count: number): Promise<void> {
    while (this.sessions.length < count) this.sessions.push(await this.make(this.sessions.length));
  }

  session(index: number): Promise<BenchSession> {
    const session = this.sessions[index];
    return session === undefined
      ? Promise.reject(new Error(`no session ${index}`))
      : Promise.resolve(session);
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((session) => session.close()));
    this.sessions.length = 0;
  }
}

/** `"etcd,redis"`, `"installed"` or `"none"`; throws with a reason on an unknown or uninstalled system. */
export function parsePeers(text: string): PeerSpec[] {
  const wanted = text.trim();
  if (wanted === "none" || wanted === "") return [];
  const installed = installedPeers();
  if (wanted === "installed") return installed;
  return wanted.split(",").map((item) => {
    const spec = peerSpecs.find((candidate) => candidate.system === item.trim());
    if (spec === undefined)
      throw new Error(`--peers: "${item}" is not one of ${peerSpecs.map((p) => p.system).join(", ")}`);
    if (!installed.includes(spec))
      throw new Error(
        `--peers: ${spec.program} is not installed (Debian: apt-get install ${spec.system === "etcd" ? "etcd-server" : "redis-server"})`,
      );
    return spec;
  });
}
