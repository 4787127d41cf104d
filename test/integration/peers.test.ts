// The bench's peers (issue 21): etcd (3 members) and Redis (primary +
// replica) started on free ports, driven through the bench's sessions with the
// same operations as pbkv, and stopped with nothing left. A peer whose server
// is not installed says so in one line and how to enable it.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startEtcd } from "../../src/bench/peerEtcd.js";
import { startRedis } from "../../src/bench/peerRedis.js";
import { installedPeers, parsePeers, type PeerSystem, type PeerTarget } from "../../src/bench/peers.js";

const installed = installedPeers().map((peer) => peer.system);
const starters: Record<PeerSystem, (name: string, timeoutMs: number) => Promise<PeerTarget>> = {
  etcd: startEtcd,
  redis: startRedis,
};

describe("bench peers", () => {
  it("--peers takes none, installed or known installed systems, and names what is wrong", () => {
    expect(parsePeers("none")).toEqual([]);
    expect(parsePeers("installed").map((peer) => peer.system)).toEqual(installed);
    expect(() => parsePeers("mysql")).toThrow(/"mysql" is not one of etcd, redis/);
  });

  for (const system of ["etcd", "redis"] as const) {
    if (!installed.includes(system)) {
      console.warn(
        `bench peer ${system} not tested: not installed (Debian: apt-get install ${system}-server)`,
      );
      continue;
    }
    it(`${system}: put, append and get through the bench's session; stopped, its data deleted`, async () => {
      const target = await starters[system](`peers-test-${system}`, 30_000);
      const { dataDirectory } = target;
      try {
        await target.pool.ensure(2);
        const [first, second] = [await target.pool.session(0), await target.pool.session(1)];
        expect(await first.invoke({ f: "put", key: "k", value: "a" }, 5_000)).toEqual({
          kind: "ok",
          value: "",
        });
        expect(await second.invoke({ f: "append", key: "k", value: "b" }, 5_000)).toEqual({
          kind: "ok",
          value: "",
        });
        expect(await first.invoke({ f: "get", key: "k" }, 5_000)).toEqual({ kind: "ok", value: "ab" });
        target.assertHealthy();
      } finally {
        await target.stop();
      }
      expect(existsSync(dataDirectory)).toBe(false);
    }, 60_000);
  }
});
