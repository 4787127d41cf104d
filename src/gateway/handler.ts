// What every gateway command handler sees: its connection's session, the
// library client, per-key ordering, and the helpers that turn RESP arguments
// into pbkv strings.
import type { KvClient } from "../client/connect.js";
import type { Reply } from "./resp.js";

export interface Session {
  readonly id: number;
  protocol: 2 | 3;
  name: string | null;
}

export interface CommandContext {
  kv: KvClient;
  session: Session;
  /** Runs `operation` after the earlier operations of this connection on `key` (Redis's order per key). */
  onKey<T>(key: string, operation: () => Promise<T>): Promise<T>;
  /** INFO's text for the given section (all when absent). */
  info(section: string | undefined): Promise<string>;
  /** DBSIZE's count (src/gateway/keyCount.ts); KeyCountUnknownError says why it is not known. */
  keyCount(): Promise<number>;
  /** Closes the connection once this command's reply is written. */
  quit(): void;
}

export type Handler = (args: Buffer[], context: CommandContext) => Reply | Promise<Reply>;

export interface CommandSpec {
  arity: number;
  summary: string;
  flags: string[];
  handler: Handler;
}

/** A key or value that is not UTF-8 text: refused before anything is sent. */
export class NotTextError extends Error {
  override readonly name = "NotTextError";
}

const decoder = new TextDecoder("utf-8", { fatal: true });

export function text(bytes: Buffer): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new NotTextError("pbkv stores text: a key or value is not valid UTF-8; not executed");
  }
}

export function arg(args: Buffer[], index: number): Buffer {
  const value = args[index];
  if (value === undefined) throw new Error(`argument ${index} missing after the arity check`);
  return value;
}
