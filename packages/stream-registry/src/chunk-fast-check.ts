import { z } from 'zod';

/** How one field of a chunk schema is checked without zod; `complex` fields (records) leave the chunk to zod. */
type FieldKind =
  | { kind: 'string' | 'boolean' | 'unknown' | 'complex' }
  | { kind: 'literal'; value: unknown }
  | { kind: 'enum'; values: ReadonlySet<unknown> };

interface FieldSpec {
  key: string;
  optional: boolean;
  check: FieldKind;
}

/** Checks (`.min(1)`, `.refine(…)`) on a schema: the fast check knows none of them, so such a field is zod's. */
function hasChecks(schema: z.ZodType): boolean {
  return (schema._zod.def.checks?.length ?? 0) > 0;
}

function fieldKind(schema: z.ZodType): FieldKind {
  if (hasChecks(schema)) return { kind: 'complex' };
  if (schema instanceof z.ZodString) return { kind: 'string' };
  if (schema instanceof z.ZodBoolean) return { kind: 'boolean' };
  if (schema instanceof z.ZodUnknown) return { kind: 'unknown' };
  if (schema instanceof z.ZodLiteral && schema.values.size === 1)
    return { kind: 'literal', value: schema.value };
  if (schema instanceof z.ZodEnum) return { kind: 'enum', values: new Set(schema.options) };
  return { kind: 'complex' };
}

function fieldSpec(key: string, schema: z.ZodType): FieldSpec {
  if (schema instanceof z.ZodOptional && !hasChecks(schema))
    return { key, optional: true, check: fieldKind(schema.unwrap() as z.ZodType) };
  // A required key (even z.unknown()) must be there; one present but undefined is left to zod.
  return { key, optional: false, check: fieldKind(schema) };
}

/**
 * A check equivalent to a set of loose object schemas (`z.looseObject`), read off the schemas themselves, for the
 * common case: a plain object whose fields are strings, booleans, literals, enums or anything, without checks or
 * refinements (a schema or field that has any is left to zod). It answers with
 * exactly the object zod's parse would (known keys in the schema's order, then the others in the input's), or
 * `undefined` whenever zod must decide: a field of another kind present, a failed check (zod then words the
 * error), an unusual object. So it can only be faster than zod, never more or less permissive.
 */
export class FastObjectCheck {
  private readonly byType = new Map<unknown, { fields: FieldSpec[]; keys: ReadonlySet<string> }>();

  /** @param schemas - loose object schemas told apart by a literal `type`. */
  constructor(schemas: readonly z.ZodObject[]) {
    for (const schema of schemas) {
      // Only loose objects without object-level checks: a strict or stripping object treats unknown keys
      // otherwise, and a refinement would need zod.
      if (!(schema._zod.def.catchall instanceof z.ZodUnknown) || hasChecks(schema)) continue;
      const fields = Object.entries(schema.shape).map(([key, field]) => fieldSpec(key, field as z.ZodType));
      const type = fields.find((f) => f.key === 'type')?.check;
      if (type?.kind === 'literal' && !this.byType.has(type.value))
        this.byType.set(type.value, { fields, keys: new Set(fields.map((f) => f.key)) });
    }
  }

  /** What zod's parse would return for `input`, or undefined to leave it to zod. */
  parse(input: unknown): Record<string, unknown> | undefined {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    const proto = Object.getPrototypeOf(input);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const record = input as Record<string, unknown>;
    const spec = this.byType.get(record.type);
    if (!spec) return undefined;
    const out: Record<string, unknown> = {};
    for (const { key, optional, check } of spec.fields) {
      const value = record[key];
      if (value === undefined) {
        if (!optional) return undefined;
        if (Object.hasOwn(record, key)) out[key] = undefined;
        continue;
      }
      switch (check.kind) {
        case 'string':
          if (typeof value !== 'string') return undefined;
          break;
        case 'boolean':
          if (typeof value !== 'boolean') return undefined;
          break;
        case 'literal':
          if (value !== check.value) return undefined;
          break;
        case 'enum':
          if (!check.values.has(value)) return undefined;
          break;
        case 'complex':
          return undefined;
      }
      out[key] = value;
    }
    for (const key of Object.keys(record)) {
      if (key === '__proto__') return undefined;
      if (!spec.keys.has(key)) out[key] = record[key];
    }
    return out;
  }
}
