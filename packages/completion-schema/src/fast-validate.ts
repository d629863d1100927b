import { MAX_RESULT_DEPTH } from './constants.js';
import { operationCompleteSchema } from './message-schema.js';

const { schema_version, published_at, traceparent } = operationCompleteSchema.shape;

/**
 * True for what `z.json()` accepts (strings, finite numbers, booleans, null, arrays and plain objects of those)
 * nested at most `maxDepth` levels, the root container being level 1. The depth bound also ends the walk of a
 * cyclic value after at most `maxDepth` steps down, so a cycle costs microseconds, not memory.
 */
function isJsonValue(root: unknown, maxDepth: number): boolean {
  // An explicit stack of (value, depth) pairs, not recursion: deeply nested input must not exhaust the call stack.
  const stack: unknown[] = [root, 0];
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const value = stack.pop();
    switch (typeof value) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(value)) return false;
        continue;
      case 'object': {
        if (value === null) continue;
        const inner = depth + 1;
        if (inner > maxDepth) return false;
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) stack.push(value[i], inner);
          continue;
        }
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) return false;
        for (const key of Object.keys(value)) stack.push((value as Record<string, unknown>)[key], inner);
        continue;
      }
      default:
        return false;
    }
  }
  return true;
}

/**
 * Accepts exactly what {@link operationCompleteSchema} accepts, checked by hand: the common case costs a few
 * `typeof`s instead of a zod parse (which was the largest cost per message in the benchmark). When it says no,
 * callers run zod, which decides and describes what is wrong; a test keeps the two in agreement. It also refuses a
 * `result` nested deeper than {@link MAX_RESULT_DEPTH}, which zod's schema does not check (the codec does, before
 * zod sees the value).
 */
export function isValidMessageFast(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.operation_id !== 'string' || m.operation_id.length === 0) return false;
  if (typeof m.task_id !== 'string' || m.task_id.length === 0) return false;
  if (typeof m.success !== 'boolean') return false;
  const { result, error } = m;
  if (result !== undefined && result !== null && typeof result !== 'string') {
    if (typeof result !== 'object' || Array.isArray(result) || !isJsonValue(result, MAX_RESULT_DEPTH))
      return false;
  }
  if (error !== undefined && error !== null && typeof error !== 'string') return false;
  if (m.schema_version !== undefined && !accepted(SCHEMA_VERSION, m.schema_version)) return false;
  if (m.published_at !== undefined && !accepted(PUBLISHED_AT, m.published_at)) return false;
  if (m.traceparent !== undefined && !accepted(TRACEPARENT, m.traceparent)) return false;
  return true;
}

/** A field checked with its zod schema, remembering the last value it accepted. */
interface CheckedField {
  readonly schema: { safeParse(value: unknown): { success: boolean } };
  last: unknown;
}

const SCHEMA_VERSION: CheckedField = { schema: schema_version, last: undefined };
const PUBLISHED_AT: CheckedField = { schema: published_at, last: undefined };
const TRACEPARENT: CheckedField = { schema: traceparent, last: undefined };

/**
 * True when `field`'s schema accepts `value`. A batch stamps every message with the same `published_at`,
 * `schema_version` and `traceparent`, so the last accepted value (a primitive, compared with `===`) is not parsed
 * again: one zod parse per batch instead of one per message.
 */
function accepted(field: CheckedField, value: unknown): boolean {
  if (value === field.last && typeof value !== 'object') return true;
  if (!field.schema.safeParse(value).success) return false;
  field.last = value;
  return true;
}
