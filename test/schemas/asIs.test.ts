// The "passes as it is" test (src/schemas/asIs.ts) against zod itself: on
// every message the simulator's protocols really send, and on mutations of
// them, it may only say yes where zod accepts and returns an equal value.
// It must also say yes to the real messages, or the hot path has gone back
// to zod unnoticed.
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ActorCell } from "../../src/actors/cell.js";
import { runChaos } from "../../src/sim/chaos.js";
import { Random } from "../../src/sim/random.js";
import { protocolNamed, protocolNames } from "../../src/protocols/registry.js";
import type { AnyProtocol, ProtocolConfigBase } from "../../src/protocols/protocol.js";
import type { Envelope } from "../../src/schemas/envelope.js";
import { acceptsAsIs } from "../../src/schemas/asIs.js";
import { parseDecodedWith, parseWith } from "../../src/schemas/parse.js";

/** Messages of one type kept, at most: every type is covered, the test stays quick. */
const perTypeMax = 30;

/** What the protocol's actors sent each other in a few chaos runs, as it came off the wire: the first of each type. */
function sentMessages(protocol: AnyProtocol, config: ProtocolConfigBase, seeds: number): unknown[] {
  const byType = new Map<string, string[]>();
  const original = ActorCell.prototype.deliver;
  ActorCell.prototype.deliver = function (this: ActorCell, message: Envelope): boolean {
    const kept = byType.get(message.body.type) ?? [];
    byType.set(message.body.type, kept);
    if (kept.length < perTypeMax) kept.push(JSON.stringify(message));
    return original.call(this, message);
  };
  try {
    for (let seed = 1; seed <= seeds; seed++) runChaos({ seed, protocol, config, chaosMs: 3_000 });
  } finally {
    ActorCell.prototype.deliver = original;
  }
  return [...byType.values()].flat().map((text) => JSON.parse(text) as unknown);
}

/** Where the two may differ: zod's verdict and value, and the fast path's. */
function disagreement(schema: z.ZodType, input: unknown): string | null {
  const text = JSON.stringify(input);
  const byZod = parseWith(schema, JSON.parse(text));
  const asIs = acceptsAsIs(schema, JSON.parse(text));
  if (asIs && !byZod.ok) return `taken as it is, but zod refuses it: ${byZod.error}\n${text}`;
  if (asIs && byZod.ok && !isDeepStrictEqual(byZod.value, JSON.parse(text)))
    return `taken as it is, but zod makes it ${JSON.stringify(byZod.value)}\n${text}`;
  const decoded = parseDecodedWith(schema, JSON.parse(text));
  if (!isDeepStrictEqual(decoded, byZod)) return `parseDecodedWith differs from parseWith\n${text}`;
  return null;
}

/** A copy of `value` with one spot changed the way a careless or hostile sender would. */
function mutated(value: unknown, random: Random): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const spots: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    for (const [key, item] of Object.entries(node)) {
      spots.push({ holder: node as Record<string, unknown>, key: Array.isArray(node) ? Number(key) : key });
      visit(item);
    }
  };
  visit(copy);
  const spot = spots[random.int(spots.length)];
  if (spot === undefined) return copy;
  const holder = spot.holder as Record<string | number, unknown>;
  const current = holder[spot.key];
  const replacements: unknown[] = [
    null,
    "",
    "x".repeat(300),
    -1,
    0.5,
    2 ** 53,
    true,
    [],
    {},
    typeof current === "string" ? `${current}!` : current,
    typeof current === "number" ? current + 1 : current,
    typeof current === "number" ? -current : current,
    Array.isArray(current) ? [...current, ...current] : current,
  ];
  switch (random.int(4)) {
    case 0:
      holder[spot.key] = replacements[random.int(replacements.length)];
      break;
    case 1:
      if (Array.isArray(holder)) holder.splice(spot.key as number, 1);
      else delete holder[spot.key];
      break;
    case 2:
      if (!Array.isArray(holder)) holder.extra = 1; // a key the schema does not know
      break;
    default:
      if (typeof current === "object" && current !== null && !Array.isArray(current))
        // An own "__proto__" key, as JSON.parse makes one.
        Object.defineProperty(current, "__proto__", { value: { type: "x" }, enumerable: true });
      else holder[spot.key] = undefined;
  }
  return copy;
}

describe("taking decoded messages as they are", () => {
  for (const name of protocolNames()) {
    const protocol = protocolNamed(name);
    const config = protocol.config.make(name === "vr" ? ({ spares: 2, operator: "random" } as never) : {});
    it(`${name}: every message sent in chaos runs passes as it is, and agrees with zod under mutation`, () => {
      const messages = sentMessages(protocol, config, 3);
      const types = new Set(messages.map((message) => (message as Envelope).body.type));
      expect(types.size).toBeGreaterThan(5);
      const problems: string[] = [];
      const notAsIs = messages.filter((message) => !acceptsAsIs(protocol.envelope, message));
      expect(notAsIs.map((message) => JSON.stringify(message)).slice(0, 3)).toEqual([]);
      const random = new Random(21);
      let takenAsIs = 0;
      for (const message of messages) {
        for (let round = 0; round < 20; round++) {
          const input = mutated(message, random);
          const problem = disagreement(protocol.envelope, input);
          if (problem !== null) problems.push(problem);
          if (acceptsAsIs(protocol.envelope, input)) takenAsIs += 1;
        }
      }
      expect(problems.slice(0, 3)).toEqual([]);
      // Some mutations stay valid (a value changed within bounds): the comparison covered both verdicts.
      expect(takenAsIs).toBeGreaterThan(0);
    });
  }
});

describe("taking decoded values as they are, feature by feature", () => {
  const overlapping = z.union([z.object({ a: z.string() }), z.object({ a: z.string(), b: z.number() })]);
  const loose = z.looseObject({ type: z.string() });
  const cases: [string, z.ZodType, unknown, boolean][] = [
    // [what, schema, input, taken as it is]
    ["an absent optional key", z.object({ a: z.int().optional() }), {}, true],
    ["a present optional key", z.object({ a: z.int().optional() }), { a: 1 }, true],
    ["null where nullable", z.object({ a: z.int().nullable() }), { a: null }, true],
    ["a key to strip", z.object({ a: z.int() }), { a: 1, b: 2 }, false],
    ["a loose object's other keys", loose, { type: "t", more: [1] }, true],
    ["a union whose first option strips", overlapping, { a: "x", b: 1 }, false],
    ["a union's first option as it is", overlapping, { a: "x" }, true],
    ["a tuple", z.tuple([z.int(), z.string()]), [1, "a"], true],
    ["a tuple too long", z.tuple([z.int(), z.string()]), [1, "a", 2], false],
    ["an unsafe integer", z.int(), 2 ** 53, false],
    ["a default (zod fills it in)", z.object({ a: z.int().default(3) }), {}, false],
    ["a transform", z.string().transform((s) => s.length), "abc", false],
    ["an email format", z.email(), "a@b.cd", false],
    ["a trimmed string", z.string().trim(), "a", false],
  ];
  for (const [what, schema, input, expected] of cases) {
    it(`${what}: ${expected ? "as it is" : "zod decides"}`, () => {
      expect(acceptsAsIs(schema, input)).toBe(expected);
      expect(disagreement(schema, input)).toBeNull();
    });
  }
});
