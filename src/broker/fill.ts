// `npm run load -- --fill`: write each of N keys once with a value of B
// bytes, through client actors, as fast as the cluster takes them. A put that
// times out is put again under a fresh client actor (a put of the same value
// is harmless to repeat), so every key is written when it returns.
import type { Op } from "../schemas/op.js";
import { type BrokerClients, type ClientSession, ClientTimeoutError } from "./clients.js";

export interface FillOptions {
  clients: BrokerClients;
  workers: number;
  keys: number;
  valueBytes: number;
  opTimeoutMs: number;
  /** Called after every key written. */
  onKey?: (progress: FillProgress) => void;
}

export interface FillProgress {
  written: number;
  /** Bytes of keys and values written. */
  bytes: number;
  elapsedMs: number;
  /** Puts sent again after a timeout. */
  retries: number;
  /** The longest a put waited, answered or not, ms. */
  maxWaitMs: number;
}

/** The key and value `--fill` writes at `index`, so a reader can check them: `fill-<index>`, padded with `v`. */
export function fillEntry(index: number, valueBytes: number): { key: string; value: string } {
  const key = `fill-${index}`;
  return { key, value: `${key}:`.padEnd(valueBytes, "v").slice(0, valueBytes) };
}

export async function fillKeys(options: FillOptions): Promise<FillProgress> {
  const progress: FillProgress = { written: 0, bytes: 0, elapsedMs: 0, retries: 0, maxWaitMs: 0 };
  const startedMs = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    let session: ClientSession | null = null;
    try {
      for (let index = next++; index < options.keys; index = next++) {
        const { key, value } = fillEntry(index, options.valueBytes);
        session = await putUntilDone(options, session, { f: "put", key, value }, progress);
        progress.written += 1;
        progress.bytes += key.length + value.length;
        progress.elapsedMs = performance.now() - startedMs;
        options.onKey?.(progress);
      }
    } finally {
      await session?.stop();
    }
  };
  await Promise.all(Array.from({ length: options.workers }, () => worker()));
  progress.elapsedMs = performance.now() - startedMs;
  return progress;
}

/** Puts until answered; returns the session to use next (a fresh one after a timeout). */
async function putUntilDone(
  options: FillOptions,
  current: ClientSession | null,
  op: Op,
  progress: FillProgress,
): Promise<ClientSession> {
  let session = current;
  for (;;) {
    session ??= await newClientOrNull(options);
    if (session === null) continue;
    const invokedMs = performance.now();
    const outcome = await session.invoke(op, options.opTimeoutMs);
    progress.maxWaitMs = Math.max(progress.maxWaitMs, performance.now() - invokedMs);
    if (outcome.kind === "ok") return session;
    if (outcome.kind === "failed") throw new Error(`put ${op.key} refused: ${outcome.error}`);
    if (outcome.kind === "expired") continue; // a put may run again; the client opens a new session
    progress.retries += 1;
    session = null; // retired after a timeout (or crashed): the next try gets a fresh client actor
  }
}

async function newClientOrNull(options: FillOptions): Promise<ClientSession | null> {
  try {
    return await options.clients.newClient(options.opTimeoutMs);
  } catch (error) {
    if (error instanceof ClientTimeoutError) return null;
    throw error;
  }
}
