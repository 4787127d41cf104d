// A fast "passes as it is" test for decoded JSON (issue 21): zod's safeParse
// walks a schema through generic machinery and copies every object it
// accepts, which costs a node more than its protocol does on each hop. Most
// of what arrives is exactly what the schema describes, no key more, so the
// copy equals the input. This compiles a schema, once, into plain
// predicates that answer true only when zod would accept the value and
// return an equal one; every other value (invalid, unknown keys to strip, a
// feature not compiled here) goes to zod, which decides and explains. The
// schema stays the one definition: nothing here accepts what zod refuses
// (test/schemas/asIs.test.ts compares the two on real and mutated messages).
import type { z } from "zod";

/** True: zod would accept the value and return one equal to it. False: ask zod. */
type Accepts = (value: unknown) => boolean;

/** The zod internals read here (zod 4's documented `_zod` for tools that walk schemas). */
interface Internals {
  def: Definition;
  values?: ReadonlySet<unknown>;
  propValues?: Readonly<Record<string, ReadonlySet<unknown>>>;
}
interface Definition {
  type: string;
  checks?: readonly { _zod: { def: CheckDefinition } }[];
  format?: string;
  coerce?: boolean;
  shape?: Readonly<Record<string, Schema>>;
  catchall?: Schema;
  element?: Schema;
  items?: readonly Schema[];
  rest?: Schema | null;
  options?: readonly Schema[];
  discriminator?: string;
  innerType?: Schema;
}
interface CheckDefinition {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
  fn?: (value: unknown) => unknown;
}
interface Schema {
  _zod: Internals;
}

const never: Accepts = () => false;
const compiled = new WeakMap<Schema, Accepts>();

/** Whether zod would take `value` as it is (true), or must be asked (false). */
export function acceptsAsIs(schema: z.ZodType, value: unknown): boolean {
  return compiledOf(schema as unknown as Schema)(value);
}

function compiledOf(schema: Schema): Accepts {
  let accepts = compiled.get(schema);
  if (accepts === undefined) {
    // Placed first so that a schema reached again while compiling (recursion) asks zod.
    compiled.set(schema, never);
    accepts = compile(schema);
    compiled.set(schema, accepts);
  }
  return accepts;
}

function compile(schema: Schema): Accepts {
  const def = schema._zod.def;
  if (def.coerce === true) return never;
  const checks = compileChecks(def);
  if (checks === null) return never;
  const base = compileType(schema);
  if (base === never) return never;
  if (checks.length === 0) return base;
  // A loop, not checks.every(closure): no closure made per value on the hot path.
  return (value) => {
    if (!base(value)) return false;
    for (const check of checks) if (!check(value)) return false;
    return true;
  };
}

function compileType(schema: Schema): Accepts {
  const def = schema._zod.def;
  switch (def.type) {
    case "string":
      return (value) => typeof value === "string";
    case "number":
      return compileNumber(def.format);
    case "boolean":
      return (value) => typeof value === "boolean";
    case "null":
      return (value) => value === null;
    case "unknown":
    case "any":
      return () => true;
    case "literal":
    case "enum":
      return compileValues(schema);
    case "nullable":
      return compileNullable(def);
    case "optional":
      return compileOptional(def);
    case "array":
      return compileArray(def);
    case "tuple":
      return compileTuple(def);
    case "object":
      return compileObject(def);
    case "union":
      return compileUnion(def);
    default:
      return never; // transforms, defaults, pipes, readonly…: their output is not the input
  }
}

function compileNumber(format: string | undefined): Accepts {
  if (format === undefined) return (value) => typeof value === "number" && Number.isFinite(value);
  if (format === "safeint") return (value) => Number.isSafeInteger(value);
  return never;
}

/** A literal's or an enum's values: the set zod itself looks values up in. */
function compileValues(schema: Schema): Accepts {
  const values = schema._zod.values;
  if (values === undefined) return never;
  return (value) => values.has(value);
}

function compileNullable(def: Definition): Accepts {
  if (def.innerType === undefined) return never;
  const inner = compiledOf(def.innerType);
  return (value) => value === null || inner(value);
}

/** Alone (not a key of an object, which handles absence itself): undefined passes as it is. */
function compileOptional(def: Definition): Accepts {
  if (def.innerType === undefined) return never;
  const inner = compiledOf(def.innerType);
  return (value) => value === undefined || inner(value);
}

function compileArray(def: Definition): Accepts {
  if (def.element === undefined) return never;
  const element = compiledOf(def.element);
  return (value) => Array.isArray(value) && value.every(element);
}

function compileTuple(def: Definition): Accepts {
  const items = def.items;
  if (items === undefined || (def.rest !== null && def.rest !== undefined)) return never;
  if (items.some((item) => item._zod.def.type === "optional")) return never;
  const accepts = items.map(compiledOf);
  return (value) =>
    Array.isArray(value) && value.length === accepts.length && accepts.every((item, i) => item(value[i]));
}

/**
 * An object: every key of the shape as it is (an optional one may be
 * absent), and no other key (zod would strip it) unless the catchall is
 * `unknown` (a loose object keeps them as they are).
 */
function compileObject(def: Definition): Accepts {
  const shape = def.shape;
  if (shape === undefined) return never;
  const catchallType = def.catchall?._zod.def.type;
  if (catchallType !== undefined && catchallType !== "unknown") return never;
  const keepsOthers = catchallType === "unknown";
  const fields = Object.entries(shape).map(([key, field]) => ({
    key,
    optional: field._zod.def.type === "optional",
    accepts: compiledOf(field),
  }));
  return (value) => {
    if (!isPlainObject(value)) return false;
    let present = 0;
    for (const { key, optional, accepts } of fields) {
      const field = value[key];
      if (field === undefined) {
        // Absent and optional: zod leaves it out too. Present as undefined, or required: ask zod.
        if (!optional || Object.hasOwn(value, key)) return false;
        continue;
      }
      if (!accepts(field)) return false;
      present += 1;
    }
    return keepsOthers || keyCount(value) === present;
  };
}

/**
 * A discriminated union parses the option its discriminator names, and only
 * it; another union takes its first option that accepts the value, so an
 * option passes the value as it is only when every option before it surely
 * refuses it.
 */
function compileUnion(def: Definition): Accepts {
  const options = def.options;
  if (options === undefined) return never;
  const accepts = options.map(compiledOf);
  const byDiscriminator = discriminatorMap(def, options, accepts);
  if (byDiscriminator !== null) {
    const key = def.discriminator as string;
    return (value) => isPlainObject(value) && byDiscriminator.get(value[key])?.(value) === true;
  }
  const refuses = options.map(compileRefusal);
  return (value) => {
    for (let i = 0; i < accepts.length; i += 1) {
      if (accepts[i]?.(value) === true) return true;
      if (refuses[i]?.(value) !== true) return false;
    }
    return false;
  };
}

/** A discriminated union's options by the values of their discriminator (zod's own `propValues`), or null. */
function discriminatorMap(
  def: Definition,
  options: readonly Schema[],
  accepts: readonly Accepts[],
): Map<unknown, Accepts> | null {
  const key = def.discriminator;
  if (key === undefined) return null;
  const map = new Map<unknown, Accepts>();
  for (const [i, option] of options.entries()) {
    const values = option._zod.propValues?.[key];
    const accept = accepts[i];
    if (values === undefined || accept === undefined) return null;
    for (const value of values) if (!map.has(value)) map.set(value, accept);
  }
  return map;
}

/** A test that is true only when zod surely refuses the value (a wrong type, or a literal field that differs). */
function compileRefusal(schema: Schema): Accepts {
  const def = schema._zod.def;
  const values = schema._zod.values;
  switch (def.type) {
    case "string":
      return (value) => typeof value !== "string";
    case "number":
      return (value) => typeof value !== "number";
    case "boolean":
      return (value) => typeof value !== "boolean";
    case "literal":
    case "enum":
      return values === undefined ? never : (value) => !values.has(value);
    case "union": {
      const refusals = (def.options ?? []).map(compileRefusal);
      return refusals.length === 0 ? never : (value) => refusals.every((refuses) => refuses(value));
    }
    case "object": {
      const literals = Object.entries(def.shape ?? {})
        .filter(([, field]) => ["literal", "enum"].includes(field._zod.def.type))
        .map(([key, field]) => ({ key, refuses: compileRefusal(field) }));
      return (value) => !isPlainObject(value) || literals.some(({ key, refuses }) => refuses(value[key]));
    }
    default:
      return never;
  }
}

/** The schema's checks as predicates, or null when one is of a kind not compiled here. */
function compileChecks(def: Definition): Accepts[] | null {
  // A schema that is itself a check (a string format, say) other than a safe integer.
  const ownCheck = (def as { check?: string }).check;
  if (ownCheck !== undefined && !(def.type === "number" && def.format === "safeint")) return null;
  if (def.type === "string" && def.format !== undefined) return null;
  const predicates: Accepts[] = [];
  for (const check of def.checks ?? []) {
    const predicate = compileCheck(check._zod.def);
    if (predicate === null) return null;
    predicates.push(predicate);
  }
  return predicates;
}

function compileCheck(check: CheckDefinition): Accepts | null {
  const { minimum, maximum, value: bound, inclusive, pattern, fn } = check;
  switch (check.check) {
    case "min_length":
      return minimum === undefined ? null : (value) => (value as { length: number }).length >= minimum;
    case "max_length":
      return maximum === undefined ? null : (value) => (value as { length: number }).length <= maximum;
    case "greater_than":
      if (bound === undefined) return null;
      return inclusive === true
        ? (value) => (value as number) >= bound
        : (value) => (value as number) > bound;
    case "less_than":
      if (bound === undefined) return null;
      return inclusive === true
        ? (value) => (value as number) <= bound
        : (value) => (value as number) < bound;
    case "string_format":
      if (check.format !== "regex" || pattern === undefined) return null;
      return (value) => {
        pattern.lastIndex = 0; // as zod does: a global pattern keeps state between tests
        return pattern.test(value as string);
      };
    case "custom":
      if (fn === undefined) return null;
      return (value) => {
        const result = fn(value);
        return !(result instanceof Promise) && Boolean(result);
      };
    default:
      return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function keyCount(value: object): number {
  let count = 0;
  for (const key in value) if (Object.hasOwn(value, key)) count += 1;
  return count;
}
