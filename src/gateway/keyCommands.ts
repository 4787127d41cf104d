// The commands on keys: GET, SET, APPEND, MGET, MSET, EXISTS, STRLEN, each
// one library operation per key, ordered per key on its connection
// (CommandContext.onKey). Keys and values are pbkv strings: UTF-8 text, a
// missing key and an empty value are the same.
import { arg, type Handler, text } from "./handler.js";
import { type Reply, reply } from "./resp.js";

/** GET's value: pbkv reads a missing key as "", so "" answers nil (as a missing key does in Redis). */
function valueReply(value: string): Reply {
  return value === "" ? reply.null : reply.bulk(value);
}

export const get: Handler = async (args, context) => {
  const key = text(arg(args, 0));
  return valueReply(await context.onKey(key, () => context.kv.get(key)));
};

export const set: Handler = async (args, context) => {
  if (args.length > 2) {
    return reply.error(
      `ERR SET options are not supported by pbkv (only SET key value): '${arg(args, 2).toString("latin1")}'`,
    );
  }
  const key = text(arg(args, 0));
  const value = text(arg(args, 1));
  await context.onKey(key, () => context.kv.put(key, value));
  return reply.ok;
};

/** APPEND answers the value's new length, which the servers return with the append itself (atomic, as Redis's). */
export const append: Handler = async (args, context) => {
  const key = text(arg(args, 0));
  const value = text(arg(args, 1));
  return reply.integer(await context.onKey(key, () => context.kv.append(key, value)));
};

export const mget: Handler = async (args, context) => {
  const keys = args.map(text);
  const values = await Promise.all(keys.map((key) => context.onKey(key, () => context.kv.get(key))));
  return reply.array(values.map(valueReply));
};

/** MSET as one put per pair: each is atomic, the set of them is not (another client may see some first). */
export const mset: Handler = async (args, context) => {
  if (args.length % 2 !== 0) return reply.error("ERR wrong number of arguments for 'mset' command");
  const pairs: [string, string][] = [];
  for (let index = 0; index < args.length; index += 2)
    pairs.push([text(arg(args, index)), text(arg(args, index + 1))]);
  await Promise.all(pairs.map(([key, value]) => context.onKey(key, () => context.kv.put(key, value))));
  return reply.ok;
};

export const exists: Handler = async (args, context) => {
  const keys = args.map(text);
  const values = await Promise.all(keys.map((key) => context.onKey(key, () => context.kv.get(key))));
  return reply.integer(values.filter((value) => value !== "").length);
};

export const strlen: Handler = async (args, context) => {
  const key = text(arg(args, 0));
  return reply.integer(Buffer.byteLength(await context.onKey(key, () => context.kv.get(key)), "utf8"));
};
