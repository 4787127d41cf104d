// The Redis commands the gateway serves, one table: name, arity (Redis's
// convention: the command name counts; negative means "at least"), a
// one-line summary (for COMMAND DOCS) and the handler. Keys and values are
// pbkv strings: UTF-8 text, a missing key and an empty value are the same.
import {
  ClientClosedError,
  InvalidOperationError,
  OperationTimeoutError,
  RefusedOperationError,
  SessionExpiredError,
} from "../client/errors.js";
import { arg, type CommandContext, type CommandSpec, type Handler, NotTextError, text } from "./handler.js";
import { KeyCountUnknownError } from "./keyCount.js";
import { append, exists, get, mget, mset, set, strlen } from "./keyCommands.js";
import { type Reply, reply } from "./resp.js";

export type { CommandContext, Session } from "./handler.js";

/** The version clients read from HELLO and INFO to pick features; the commands served are a subset. */
export const redisCompatibleVersion = "7.0.0";

const ping: Handler = (args) => (args.length === 0 ? reply.simple("PONG") : reply.bulk(arg(args, 0)));

const echo: Handler = (args) => reply.bulk(arg(args, 0));

const quit: Handler = (_args, context) => {
  context.quit();
  return reply.ok;
};

const select: Handler = (args) =>
  arg(args, 0).toString("latin1") === "0" ? reply.ok : reply.error("ERR DB index is out of range");

const hello: Handler = (args, context) => {
  const session = context.session;
  if (args.length > 0) {
    const version = arg(args, 0).toString("latin1");
    if (version !== "2" && version !== "3") return reply.error("NOPROTO unsupported protocol version");
    for (let index = 1; index < args.length; index++) {
      const option = arg(args, index).toString("latin1").toUpperCase();
      if (option === "AUTH" && index + 2 < args.length)
        index += 2; // no access control: any user is accepted
      else if (option === "SETNAME" && index + 1 < args.length) session.name = text(arg(args, ++index));
      else return reply.error(`ERR Syntax error in HELLO option '${option}'`);
    }
    session.protocol = version === "3" ? 3 : 2;
  }
  return reply.map([
    [reply.bulk("server"), reply.bulk("pbkv")],
    [reply.bulk("version"), reply.bulk(redisCompatibleVersion)],
    [reply.bulk("proto"), reply.integer(session.protocol)],
    [reply.bulk("id"), reply.integer(session.id)],
    [reply.bulk("mode"), reply.bulk("standalone")],
    [reply.bulk("role"), reply.bulk("master")],
    [reply.bulk("modules"), reply.array([])],
  ]);
};

const client: Handler = (args, context) => {
  const sub = arg(args, 0).toString("latin1").toUpperCase();
  if (sub === "SETNAME" && args.length === 2) {
    const name = text(arg(args, 1));
    if (/[\s]/.test(name))
      return reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
    context.session.name = name === "" ? null : name;
    return reply.ok;
  }
  if (sub === "GETNAME" && args.length === 1)
    return context.session.name === null ? reply.null : reply.bulk(context.session.name);
  if (sub === "ID" && args.length === 1) return reply.integer(context.session.id);
  if (sub === "SETINFO" && args.length === 3) return reply.ok; // library name and version: accepted, not kept
  return reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try CLIENT HELP.`);
};

/** The serving node's key count (keyCount.ts), an empty value that was set included; or an error saying why it is not known. */
const dbsize: Handler = async (_args, context) => reply.integer(await context.keyCount());

const info: Handler = async (args, context) =>
  reply.bulk(await context.info(args[0]?.toString("latin1").toLowerCase()));

/**
 * CONFIG GET (redis-benchmark asks for these two): pbkv keeps its state in the
 * servers' memory, replicated, with no snapshots or append-only file.
 */
const configParameters: Record<string, string> = { save: "", appendonly: "no" };

const config: Handler = (args) => {
  const sub = arg(args, 0).toString("latin1").toUpperCase();
  if (sub === "GET") {
    const patterns = args.slice(1).map((pattern) => pattern.toString("latin1").toLowerCase());
    const names = Object.keys(configParameters).filter((name) =>
      patterns.some((p) => p === "*" || p === name),
    );
    return reply.map(names.map((name) => [reply.bulk(name), reply.bulk(configParameters[name] ?? "")]));
  }
  return reply.error(`ERR unknown subcommand '${sub}'. Try CONFIG HELP.`);
};

const command: Handler = (args) => {
  const sub = args[0]?.toString("latin1").toUpperCase();
  if (sub === undefined) return reply.array([...commands.keys()].map(commandInfo));
  if (sub === "COUNT") return reply.integer(commands.size);
  if (sub === "LIST") return reply.array([...commands.keys()].map((name) => reply.bulk(name)));
  if (sub === "INFO")
    return reply.array(args.slice(1).map((name) => commandInfo(name.toString("latin1").toLowerCase())));
  if (sub === "DOCS") {
    const wanted =
      args.length > 1
        ? args.slice(1).map((name) => name.toString("latin1").toLowerCase())
        : [...commands.keys()];
    return reply.map(
      wanted.filter((name) => commands.has(name)).map((name) => [reply.bulk(name), commandDocs(name)]),
    );
  }
  return reply.error(`ERR unknown subcommand '${sub}'. Try COMMAND HELP.`);
};

function commandInfo(name: string): Reply {
  const spec = commands.get(name);
  if (spec === undefined) return reply.null;
  const keyed = spec.flags.includes("keys");
  return reply.array([
    reply.bulk(name),
    reply.integer(spec.arity),
    reply.array(spec.flags.filter((flag) => flag !== "keys").map((flag) => reply.simple(flag))),
    reply.integer(keyed ? 1 : 0),
    reply.integer(keyed ? (spec.arity < 0 ? -1 : 1) : 0),
    reply.integer(keyed ? (name === "mset" ? 2 : 1) : 0),
  ]);
}

function commandDocs(name: string): Reply {
  const spec = commands.get(name);
  return reply.map([
    [reply.bulk("summary"), reply.bulk(spec?.summary ?? "")],
    [reply.bulk("since"), reply.bulk("1.0.0")],
    [reply.bulk("group"), reply.bulk(spec?.flags.includes("keys") ? "string" : "connection")],
  ]);
}

const commands = new Map<string, CommandSpec>([
  [
    "get",
    {
      arity: 2,
      summary: "the key's value (nil when missing or empty)",
      flags: ["readonly", "keys"],
      handler: get,
    },
  ],
  [
    "set",
    { arity: -3, summary: "sets the key's value (no options)", flags: ["write", "keys"], handler: set },
  ],
  [
    "append",
    {
      arity: 3,
      summary: "appends to the key's value; answers its new length",
      flags: ["write", "keys"],
      handler: append,
    },
  ],
  [
    "mget",
    {
      arity: -2,
      summary: "the values of several keys, one get each",
      flags: ["readonly", "keys"],
      handler: mget,
    },
  ],
  [
    "mset",
    {
      arity: -3,
      summary: "sets several keys, one put each (not atomic together)",
      flags: ["write", "keys"],
      handler: mset,
    },
  ],
  [
    "exists",
    {
      arity: -2,
      summary: "how many of the keys have a non-empty value",
      flags: ["readonly", "keys"],
      handler: exists,
    },
  ],
  [
    "strlen",
    {
      arity: 2,
      summary: "the length in bytes of the key's value",
      flags: ["readonly", "keys"],
      handler: strlen,
    },
  ],
  ["ping", { arity: -1, summary: "PONG, or the argument", flags: ["fast"], handler: ping }],
  ["echo", { arity: 2, summary: "the argument", flags: ["fast"], handler: echo }],
  ["quit", { arity: -1, summary: "closes the connection", flags: ["fast"], handler: quit }],
  [
    "hello",
    { arity: -1, summary: "picks RESP2 or RESP3; describes the server", flags: ["fast"], handler: hello },
  ],
  ["select", { arity: 2, summary: "database 0 only", flags: ["fast"], handler: select }],
  ["client", { arity: -2, summary: "SETNAME, GETNAME, ID, SETINFO", flags: ["fast"], handler: client }],
  [
    "command",
    {
      arity: -1,
      summary: "the commands served (COUNT, LIST, INFO, DOCS)",
      flags: ["fast"],
      handler: command,
    },
  ],
  [
    "dbsize",
    {
      arity: 1,
      summary: "the serving node's key count (an error when not known)",
      flags: ["readonly", "fast"],
      handler: dbsize,
    },
  ],
  [
    "info",
    { arity: -1, summary: "server, clients, stats and pbkv sections", flags: ["fast"], handler: info },
  ],
  ["config", { arity: -2, summary: "CONFIG GET: no parameters", flags: ["fast"], handler: config }],
]);

/** Runs one command; never rejects: every failure becomes an error reply. */
export async function executeCommand(args: Buffer[], context: CommandContext): Promise<Reply> {
  const name = (args[0] ?? Buffer.alloc(0)).toString("latin1").toLowerCase();
  const spec = commands.get(name);
  if (spec === undefined) return unknownCommand(args);
  const count = args.length;
  if (spec.arity > 0 ? count !== spec.arity : count < -spec.arity)
    return reply.error(`ERR wrong number of arguments for '${name}' command`);
  try {
    return await spec.handler(args.slice(1), context);
  } catch (error) {
    return errorReply(error);
  }
}

/** Redis's own wording, so clients and tools recognise it. */
function unknownCommand(args: Buffer[]): Reply {
  const quoted = args
    .slice(1, 21)
    .map((word) => `'${word.toString("latin1").slice(0, 128)}' `)
    .join("");
  return reply.error(
    `ERR unknown command '${(args[0] ?? Buffer.alloc(0)).toString("latin1").slice(0, 128)}', with args beginning with: ${quoted}`,
  );
}

function errorReply(error: unknown): Reply {
  if (error instanceof OperationTimeoutError) return reply.error(`TIMEOUT pbkv: ${error.message}`);
  if (error instanceof SessionExpiredError) return reply.error(`UNKNOWN pbkv: ${error.message}`);
  if (
    error instanceof InvalidOperationError ||
    error instanceof RefusedOperationError ||
    error instanceof NotTextError
  )
    return reply.error(`ERR ${error.message}`);
  if (error instanceof KeyCountUnknownError) return reply.error(`ERR pbkv: ${error.message}`);
  if (error instanceof ClientClosedError)
    return reply.error("ERR pbkv gateway is stopping; the command was not run");
  return reply.error(`ERR pbkv internal error: ${(error as Error)?.message ?? String(error)}`);
}
