// Helpers for the gateway's tests: a gateway on a free port in this process,
// a raw socket that collects what the gateway answers, `redis-cli` when
// installed, and a logger whose lines the test can read.
import { execFile, spawnSync } from "node:child_process";
import net from "node:net";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import type { KvClient } from "../../src/client/connect.js";
import { Gateway, type GatewayOptions } from "../../src/gateway/server.js";

export function startGateway(kv: KvClient, options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  return Gateway.start({ kv, port: 0, log: pino({ level: "silent" }), ...options });
}

/** A logger that keeps its JSON lines in `lines`. */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

/** A raw TCP client: `received` holds every byte the gateway sent; `closed` resolves when it closes. */
export async function rawClient(port: number): Promise<{
  socket: net.Socket;
  received: () => string;
  closed: Promise<void>;
}> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return { socket, received: () => Buffer.concat(chunks).toString(), closed };
}

export const redisCliInstalled = spawnSync("redis-cli", ["--version"], { stdio: "ignore" }).status === 0;

/** Runs `redis-cli -p PORT ARGS…`; resolves with its stdout (trailing newline removed). */
export function redisCli(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", ["-p", String(port), ...args], { timeout: 20_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.replace(/\n$/, ""));
    });
  });
}

export async function until(condition: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
