// The bench's etcd row: a 3-member etcd cluster on free local ports, driven
// through etcd's v3 JSON gateway (HTTP keep-alive, one endpoint per worker in
// turn). get is a linearizable range read; put a put; append, which etcd has
// not, a read then a transaction that puts the longer value only if the key's
// mod revision is still the one read (retried when it is not), as a user of
// etcd would write it.
import type { OpOutcome } from "../broker/clients.js";
import { freePort } from "../broker/ports.js";
import type { Op } from "../schemas/op.js";
import type { BenchSession } from "./closedLoop.js";
import { PeerPool, PeerTarget, peerDataDirectory, spawnPeer, untilListening } from "./peers.js";

const members = 3;
const appendAttemptsMax = 100;

export async function startEtcd(cluster: string, readyTimeoutMs: number): Promise<PeerTarget> {
  const dataDirectory = peerDataDirectory("etcd");
  const ports = await Promise.all(Array.from({ length: members * 2 }, () => freePort()));
  const clientPort = (member: number): number => ports[member * 2] ?? 0;
  const peerPort = (member: number): number => ports[member * 2 + 1] ?? 0;
  const name = (member: number): string => `m${member}`;
  const initialCluster = Array.from(
    { length: members },
    (_, member) => `${name(member)}=http://127.0.0.1:${peerPort(member)}`,
  ).join(",");
  const processes = Array.from({ length: members }, (_, member) =>
    spawnPeer(
      "etcd",
      [
        ...["--name", name(member), "--data-dir", `${dataDirectory}/${name(member)}`],
        ...["--listen-client-urls", `http://127.0.0.1:${clientPort(member)}`],
        ...["--advertise-client-urls", `http://127.0.0.1:${clientPort(member)}`],
        ...["--listen-peer-urls", `http://127.0.0.1:${peerPort(member)}`],
        ...["--initial-advertise-peer-urls", `http://127.0.0.1:${peerPort(member)}`],
        ...["--initial-cluster", initialCluster, "--initial-cluster-state", "new"],
        ...["--initial-cluster-token", cluster, "--log-level", "error"],
      ],
      dataDirectory,
    ),
  );
  const endpoints = Array.from({ length: members }, (_, member) => `http://127.0.0.1:${clientPort(member)}`);
  await untilListening(
    endpoints.map((_, member) => clientPort(member)),
    processes,
    readyTimeoutMs,
  );
  const pool = new PeerPool(async (index) => new EtcdSession(endpoints[index % members] ?? ""));
  const target = new PeerTarget({ cluster }, pool, processes, dataDirectory);
  await untilLeader(endpoints[0] ?? "", readyTimeoutMs);
  return target;
}

/** Until a put goes through: the members found each other and elected a leader. */
async function untilLeader(endpoint: string, timeoutMs: number): Promise<void> {
  const session = new EtcdSession(endpoint);
  const deadline = performance.now() + timeoutMs;
  while ((await session.invoke({ f: "put", key: "ready", value: "1" }, 1_000)).kind !== "ok") {
    if (performance.now() > deadline) throw new Error(`etcd elected no leader within ${timeoutMs} ms`);
  }
}

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const text = (encoded: string | undefined): string => Buffer.from(encoded ?? "", "base64").toString("utf8");

interface RangeReply {
  kvs?: { value?: string; mod_revision?: string }[];
}

class EtcdSession implements BenchSession {
  readonly isRetired = false;

  constructor(private readonly endpoint: string) {}

  async invoke(op: Op, timeoutMs: number): Promise<OpOutcome> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      if (op.f === "get") return { kind: "ok", value: (await this.read(op.key, signal)).value };
      if (op.f === "put") {
        await this.call("/v3/kv/put", { key: base64(op.key), value: base64(op.value) }, signal);
        return { kind: "ok", value: "" };
      }
      await this.append(op.key, op.value, signal);
      return { kind: "ok", value: "" };
    } catch {
      return { kind: "timeout" }; // aborted or failed: its outcome is unknown
    }
  }

  async close(): Promise<void> {}

  private async read(key: string, signal: AbortSignal): Promise<{ value: string; modRevision: string }> {
    const reply = (await this.call("/v3/kv/range", { key: base64(key) }, signal)) as RangeReply;
    const found = reply.kvs?.[0];
    return { value: text(found?.value), modRevision: found?.mod_revision ?? "0" };
  }

  private async append(key: string, suffix: string, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; attempt < appendAttemptsMax; attempt++) {
      const { value, modRevision } = await this.read(key, signal);
      const compare = [{ key: base64(key), target: "MOD", result: "EQUAL", mod_revision: modRevision }];
      const success = [{ request_put: { key: base64(key), value: base64(value + suffix) } }];
      const reply = (await this.call("/v3/kv/txn", { compare, success }, signal)) as { succeeded?: boolean };
      if (reply.succeeded === true) return;
    }
    throw new Error(`append to ${key}: ${appendAttemptsMax} conflicting attempts`);
  }

  private async call(route: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const response = await fetch(`${this.endpoint}${route}`, {
      method: "POST",
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok) throw new Error(`etcd ${route}: HTTP ${response.status}`);
    return response.json();
  }
}
