// The dashboard server: plain node:http. It serves the built page, streams
// the model to browsers as server-sent events (`/api/stream`: `summary` when
// something changed, at most every summaryIntervalMs, and at least every
// second; `messages`, the new diagram samples, every pushIntervalMs), answers
// `/api/state` with one summary, and publishes control commands posted to
// `/api/control` after validating them with the control schema.
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Logger } from "pino";
import { redactUrl } from "../broker/connection.js";
import { repositoryRoot } from "../broker/supervisor.js";
import type { ClusterNames } from "../broker/topology.js";
import { ControlCommand } from "../schemas/control.js";
import { parseWith } from "../schemas/parse.js";
import { distDirectory, ensureBuilt } from "./assets.js";
import { ControlRefusedError, DashboardFeed, epochNow } from "./feed.js";
import { DashboardModel } from "./model.js";
import type { ControlResponse, DashboardSummary } from "./protocol.js";

export const defaultPort = 8080;
export const pushIntervalMs = 100;
export const summaryIntervalMs = 200;
export const summaryIdleIntervalMs = 1_000;
export const controlBodyBytesMax = 64 * 1024;
/** A browser this far behind gets no message batches until it catches up. */
export const streamBacklogBytesMax = 1024 * 1024;
export const keepAliveMs = 15_000;

export interface DashboardOptions {
  /** The protocol the cluster runs. */
  protocol: AnyProtocol;
  names: ClusterNames;
  /** AMQP URL of the broker. */
  url: string;
  host: string;
  /** 0: any free port. */
  port: number;
  tap: boolean;
  samplesPerSecond: number;
  clientRetryMs: number;
  /** The cluster's configuration (VR: its replicas answer the view query); default: the protocol's defaults with `clientRetryMs`. */
  config?: ProtocolConfigBase | undefined;
  log: Logger;
  /** Told what the server is doing (building the page). */
  say?: (line: string) => void;
}

export interface RunningDashboard {
  /** `http://host:port/` */
  url: string;
  port: number;
  model: DashboardModel;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
};

const securityHeaders = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'",
};

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  await ensureBuilt(options.say);
  const config = options.config ?? options.protocol.config.make({ clientRetryMs: options.clientRetryMs });
  const model = new DashboardModel({
    protocol: options.protocol,
    config,
    cluster: options.names.cluster,
    broker: redactUrl(options.url),
    projectDirectory: repositoryRoot,
    tap: options.tap,
    samplesPerSecond: options.samplesPerSecond,
  });
  const feed = await DashboardFeed.open({
    protocol: options.protocol,
    url: options.url,
    names: options.names,
    log: options.log,
    tap: options.tap,
    config,
    onEvent: (event) => model.onEvent(event),
    onInvalidEvent: (reason, at) => model.noteInvalidEvent(reason, at),
    onTapped: (message, receivedAt) => model.onTapped(message, receivedAt),
    onStatus: (status) => model.setStatus(status),
    onProbedView: (view, at) => model.onProbedView(view, at),
    needsView: () => model.needsView(),
    wantsStatus: () => model.wantsStatus(),
  });
  const streams = new Streams(model);
  const server = createServer((request, response) => {
    handle(request, response, { model, feed, streams, options }).catch((error: Error) => {
      options.log.warn({ err: error, url: request.url }, "dashboard request failed");
      if (!response.headersSent) sendJson(response, 500, { ok: false, error: error.message });
      else response.end();
    });
  });
  try {
    await listen(server, options.host, options.port);
  } catch (error) {
    streams.stop();
    await feed.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  return {
    url: `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}/`,
    port,
    model,
    close: async () => {
      streams.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await feed.close();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

interface Handlers {
  model: DashboardModel;
  feed: DashboardFeed;
  streams: Streams;
  options: DashboardOptions;
}

async function handle(request: IncomingMessage, response: ServerResponse, handlers: Handlers): Promise<void> {
  if (!isAllowedHost(request.headers.host, handlers.options.host)) {
    sendJson(response, 421, { ok: false, error: "unexpected Host header" });
    return;
  }
  const url = new URL(request.url ?? "/", "http://localhost");
  if (url.pathname === "/api/stream" && request.method === "GET") {
    handlers.streams.add(response);
    return;
  }
  if (url.pathname === "/api/state" && request.method === "GET") {
    sendJson(response, 200, handlers.model.summary(epochNow()));
    return;
  }
  if (url.pathname === "/api/control") {
    if (request.method !== "POST") {
      sendJson(response, 405, { ok: false, error: "POST a JSON control command" });
      return;
    }
    await handleControl(request, response, handlers);
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    sendJson(response, 405, { ok: false, error: "method not allowed" });
    return;
  }
  serveStatic(url.pathname, response);
}

/**
 * On a loopback address, only loopback names in `Host`: a page elsewhere
 * cannot reach the server through DNS rebinding and publish faults.
 */
export function isAllowedHost(hostHeader: string | undefined, boundHost: string): boolean {
  const loopback = ["127.0.0.1", "localhost", "::1"];
  if (!loopback.includes(boundHost)) return true;
  const host = hostHeader ?? "";
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.split(":")[0];
  return name !== undefined && loopback.includes(name);
}

async function handleControl(
  request: IncomingMessage,
  response: ServerResponse,
  { model, feed }: Handlers,
): Promise<void> {
  const refuse = (status: number, error: string): void => {
    model.noteControl(epochNow(), null, error);
    sendJson(response, status, { ok: false, error } satisfies ControlResponse);
  };
  // A cross-site form cannot send this content type without a preflight, which is refused.
  if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
    refuse(415, "send the command as application/json");
    return;
  }
  let text: string;
  try {
    text = await readBody(request, controlBodyBytesMax);
  } catch (error) {
    refuse(413, (error as Error).message);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    refuse(400, `not JSON: ${(error as Error).message}`);
    return;
  }
  const parsed = parseWith(ControlCommand, json);
  if (!parsed.ok) {
    refuse(400, `invalid control command:\n${parsed.error}`);
    return;
  }
  try {
    await feed.publishControl(parsed.value);
  } catch (error) {
    if (!(error instanceof ControlRefusedError)) throw error;
    refuse(503, error.message);
    return;
  }
  model.noteControl(epochNow(), parsed.value, null);
  sendJson(response, 200, { ok: true, command: parsed.value } satisfies ControlResponse);
}

function readBody(request: IncomingMessage, bytesMax: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bytesMax) {
        reject(new Error(`body larger than ${bytesMax} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** The built file a URL path names, or null (outside the build, missing, not a file, undecodable). */
export function staticFile(pathname: string, root: string = distDirectory): string | null {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (relative === "/" || relative === "") relative = "/index.html";
  const file = path.resolve(root, `.${path.posix.normalize(relative)}`);
  if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) return null;
  return file;
}

function serveStatic(pathname: string, response: ServerResponse): void {
  const file = staticFile(pathname);
  if (file === null) {
    sendJson(response, 404, { ok: false, error: "not found" });
    return;
  }
  const extension = path.extname(file);
  response.writeHead(200, {
    ...securityHeaders,
    "Content-Type": contentTypes[extension] ?? "application/octet-stream",
    // Vite names assets by content hash; the page itself must always be fresh.
    "Cache-Control": extension === ".html" ? "no-cache" : "public, max-age=31536000, immutable",
  });
  createReadStream(file).pipe(response);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    ...securityHeaders,
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
  });
  response.end(JSON.stringify(body));
}

/** The browsers following `/api/stream`, and the timer that feeds them. */
class Streams {
  private readonly responses = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;
  private sentVersion = -1;
  private sentViewNum = -1;
  private sentAt = 0;
  private lastWriteAt = 0;

  constructor(private readonly model: DashboardModel) {
    this.timer = setInterval(() => this.tick(), pushIntervalMs);
    this.timer.unref();
  }

  add(response: ServerResponse): void {
    response.writeHead(200, {
      ...securityHeaders,
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    const now = epochNow();
    response.write(`retry: 1000\n\n`);
    response.write(frame("summary", this.model.summary(now)));
    response.write(frame("messages", this.model.recentSamples(now)));
    this.responses.add(response);
    response.on("close", () => this.responses.delete(response));
  }

  stop(): void {
    clearInterval(this.timer);
    for (const response of this.responses) response.end();
    this.responses.clear();
  }

  private tick(): void {
    const now = epochNow();
    const samples = this.model.takeSamples();
    if (this.responses.size === 0) return;
    if (samples.length > 0) this.broadcast(frame("messages", samples), true);
    const changed = this.model.version !== this.sentVersion;
    // A new view is what people watch for: it goes out on this tick, not after the summary interval.
    const viewNum = this.model.currentView()?.viewNum ?? -1;
    if (
      viewNum !== this.sentViewNum ||
      (changed && now - this.sentAt >= summaryIntervalMs) ||
      now - this.sentAt >= summaryIdleIntervalMs
    ) {
      this.sentVersion = this.model.version;
      this.sentViewNum = viewNum;
      this.sentAt = now;
      const summary: DashboardSummary = this.model.summary(now);
      this.broadcast(frame("summary", summary), false);
    }
    if (now - this.lastWriteAt >= keepAliveMs) this.broadcast(": keep-alive\n\n", false);
  }

  private broadcast(text: string, droppable: boolean): void {
    this.lastWriteAt = epochNow();
    for (const response of this.responses) {
      if (droppable && response.writableLength > streamBacklogBytesMax) continue;
      response.write(text);
    }
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
