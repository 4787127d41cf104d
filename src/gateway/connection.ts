// One client connection of the gateway. Commands are parsed as they arrive
// and run at once (many in flight: pipelining is where the throughput comes
// from), while replies are written in the order the commands came, and the
// operations of one connection on one key run one after another, so a
// pipeline reads its own writes as with Redis. Bounds: at most
// `pipelineMax` commands in flight (then reading pauses), and a command
// must arrive whole within `partialRequestMs` of its first byte (else the
// connection is closed: a slowloris client holds nothing for long).
import type net from "node:net";
import type { Logger } from "pino";
import type { KvClient } from "../client/connect.js";
import { type CommandContext, executeCommand, type Session } from "./commands.js";
import { encodeReply, ProtocolError, type Reply, reply, RequestParser, type RequestLimits } from "./resp.js";

export interface ConnectionSettings {
  kv: KvClient;
  log: Logger;
  limits: RequestLimits;
  pipelineMax: number;
  partialRequestMs: number;
  info(section: string | undefined): Promise<string>;
  keyCount(): Promise<number>;
}

interface PendingReply {
  bytes: Buffer | null;
  closeAfter: boolean;
}

export class GatewayConnection {
  private readonly parser: RequestParser;
  private readonly replies: PendingReply[] = [];
  private readonly keyTails = new Map<string, Promise<void>>();
  private readonly session: Session;
  private partialTimer: NodeJS.Timeout | null = null;
  private waitingForDrain = false;
  private closed = false;
  readonly peer: string;

  constructor(
    private readonly socket: net.Socket,
    id: number,
    private readonly settings: ConnectionSettings,
    private readonly onClose: (connection: GatewayConnection) => void,
  ) {
    this.parser = new RequestParser(settings.limits);
    this.session = { id, protocol: 2, name: null };
    this.peer = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => {
      this.waitingForDrain = false;
      this.readMore();
    });
    socket.on("error", (error) => this.close(`socket error: ${error.message}`, "debug"));
    socket.on("close", () => this.close("closed by the client", "debug"));
  }

  get name(): string | null {
    return this.session.name;
  }

  /** Ends the connection (gateway stopping): what is in flight is not waited for. */
  end(reason: string): void {
    this.close(reason, "debug");
  }

  private onData(chunk: Buffer): void {
    this.parser.push(chunk);
    this.readMore();
  }

  /** Parses and starts commands while the pipeline and the socket have room. */
  private readMore(): void {
    while (!this.closed && !this.waitingForDrain && this.replies.length < this.settings.pipelineMax) {
      let args: Buffer[] | null;
      try {
        args = this.parser.next();
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.refuse(`Protocol error: ${error.message}`);
        return;
      }
      if (args === null) {
        this.watchPartialRequest();
        this.socket.resume();
        return;
      }
      this.clearPartialTimer();
      this.start(args);
    }
    if (!this.closed) this.socket.pause(); // full: resumed when replies are written
  }

  private start(args: Buffer[]): void {
    const pending: PendingReply = { bytes: null, closeAfter: false };
    this.replies.push(pending);
    const protocolAtStart = () => this.session.protocol;
    const context: CommandContext = {
      kv: this.settings.kv,
      session: this.session,
      onKey: (key, operation) => this.onKey(key, operation),
      info: this.settings.info,
      keyCount: this.settings.keyCount,
      quit: () => (pending.closeAfter = true),
    };
    void executeCommand(args, context).then((result: Reply) => {
      pending.bytes = encodeReply(result, protocolAtStart());
      this.flush();
    });
  }

  private onKey<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.keyTails.get(key) ?? Promise.resolve();
    const run = previous.then(operation);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.keyTails.set(key, tail);
    void tail.then(() => {
      if (this.keyTails.get(key) === tail) this.keyTails.delete(key);
    });
    return run;
  }

  /** Writes the replies that are ready, in command order. */
  private flush(): void {
    let head = this.replies[0];
    while (!this.closed && head !== undefined && head.bytes !== null) {
      this.replies.shift();
      if (!this.socket.write(head.bytes)) this.waitingForDrain = true;
      if (head.closeAfter) {
        this.socket.end();
        this.close("QUIT", "debug");
        return;
      }
      head = this.replies[0];
    }
    this.readMore();
  }

  private watchPartialRequest(): void {
    if (this.parser.buffered === 0) {
      this.clearPartialTimer();
      return;
    }
    this.partialTimer ??= setTimeout(
      () => this.refuse(`request incomplete after ${this.settings.partialRequestMs} ms`),
      this.settings.partialRequestMs,
    );
  }

  private clearPartialTimer(): void {
    if (this.partialTimer !== null) clearTimeout(this.partialTimer);
    this.partialTimer = null;
  }

  /** Bad input: says why (as Redis does), then closes this connection only. */
  private refuse(reason: string): void {
    if (this.closed) return;
    this.socket.end(encodeReply(reply.error(`ERR ${reason}`), this.session.protocol));
    this.close(reason, "warn");
  }

  private close(reason: string, level: "warn" | "debug"): void {
    if (this.closed) return;
    this.closed = true;
    this.clearPartialTimer();
    this.settings.log[level](
      { client: this.peer, name: this.session.name, reason },
      "gateway connection closed",
    );
    if (!this.socket.writableEnded) this.socket.end();
    // A client that stops reading would keep the socket open: give it a moment, then cut it.
    setTimeout(() => this.socket.destroy(), 1_000).unref();
    this.onClose(this);
  }
}
