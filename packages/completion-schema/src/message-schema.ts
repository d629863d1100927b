// zod/mini rather than zod: its functions tree-shake, so a bundled producer carries the few kilobytes this schema
// uses instead of all of zod (454 KB minified). Its schemas work inside zod's classic ones and with z.toJSONSchema.
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { describeNonJson, formatPath, inspectJson } from './json-inspect.js';
import { TRACEPARENT_PATTERN } from './traceparent.js';

const RESULT_ALLOWED = 'must be a JSON object, a string or null';

/** Says what `result` may be and what it was instead, e.g. `…; got an array` or `…; result.a is undefined, …`. */
function resultIssueMessage(input: unknown): string {
  if (Array.isArray(input)) return `${RESULT_ALLOWED}; got an array`;
  if (typeof input === 'object' && input !== null) {
    const problem = inspectJson(input, Number.POSITIVE_INFINITY);
    if (problem?.kind === 'not_json')
      return `${RESULT_ALLOWED}; ${formatPath(['result', ...problem.path])} is ${problem.got}, which JSON cannot hold`;
    return `${RESULT_ALLOWED}; got an object that is not plain JSON`;
  }
  if (typeof input === 'number' || typeof input === 'boolean')
    return `${RESULT_ALLOWED}; got a ${typeof input}`;
  return `${RESULT_ALLOWED}; got ${describeNonJson(input)}`;
}

/** `schema_version`: a positive integer major, or `"MAJOR.MINOR"`. Absent means 1. */
export const schemaVersionSchema = z.union([
  z.int().check(z.positive()),
  z.string().check(z.regex(/^[1-9]\d{0,5}(\.(0|[1-9]\d{0,5}))?$/, 'expected "MAJOR" or "MAJOR.MINOR"')),
]);

/**
 * The operation-complete message exactly as it travels in the `data` field (snake_case, as the Python original's
 * pydantic model). Unknown fields are kept, so newer producers stay readable. `result` and `error` default to
 * null, as pydantic does, so a decoded message always has both. A zod/mini schema: `parse`, `safeParse` and
 * `shape` as usual; compose it with `z.extend` from `zod/mini`, or spread its `shape` into a classic object.
 */
export const operationCompleteSchema = z.looseObject({
  operation_id: z.string().check(z.minLength(1, 'must be a non-empty string')),
  task_id: z.string().check(z.minLength(1, 'must be a non-empty string')),
  success: z.boolean(),
  result: z._default(
    z.nullable(
      z.union([z.record(z.string(), z.json()), z.string()], {
        error: (issue) => (issue.code === 'invalid_union' ? resultIssueMessage(issue.input) : undefined),
      }),
    ),
    null,
  ),
  error: z._default(z.nullable(z.string()), null),
  schema_version: z.optional(schemaVersionSchema),
  published_at: z.optional(z.iso.datetime({ offset: true })),
  traceparent: z.optional(
    z
      .string()
      .check(z.regex(TRACEPARENT_PATTERN, 'expected a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)')),
  ),
});

// zod/mini loads no locale: without one its messages read "Invalid input". Parsing with zod's English messages keeps
// the codec's summaries (and so dead-letter reasons) the text zod's classic import writes, whatever the app loaded.
const englishMessages = { error: en().localeError };

/** Parses with {@link operationCompleteSchema}, issues worded in zod's English messages. */
export function safeParseOperationComplete(input: unknown) {
  return operationCompleteSchema.safeParse(input, englishMessages);
}

/** A decoded, valid operation-complete message (`result` and `error` always present, possibly null). */
export type OperationCompleteMessage = z.output<typeof operationCompleteSchema>;

/** What a producer passes to `encode`: `result` and `error` may be left out. */
export type OperationCompleteInput = z.input<typeof operationCompleteSchema>;

/** The major version a message declares (1 when `schema_version` is absent). */
export function schemaMajorOf(version: unknown): number | undefined {
  if (version === undefined || version === null) return 1;
  if (typeof version === 'number') return Number.isInteger(version) && version > 0 ? version : undefined;
  if (typeof version === 'string') {
    const major = Number(version.split('.')[0]);
    return Number.isInteger(major) && major > 0 ? major : undefined;
  }
  return undefined;
}
