import { MAX_RESULT_DEPTH } from '@chat/completion-schema';
import fc from 'fast-check';

/** Keys that pollute a prototype when a parser or a merge treats them as ordinary keys. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** One arbitrary stream entry: its flat field list (strings or raw bytes), as a foreign producer might XADD. */
export type RawEntry = (string | Buffer)[];

const MIB = 1024 * 1024;

const protoKey = fc.constantFrom(...PROTOTYPE_KEYS);

/**
 * Nesting depths around the contract's limit, well past it, and up to 200 000 levels: as bare arrays that is
 * about 400 KB, under the size cap, yet far beyond any call stack, so a recursive step anywhere after `decode`
 * (redaction, `JSON.stringify`) would throw `RangeError` on it.
 */
const depth = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: MAX_RESULT_DEPTH - 2, max: MAX_RESULT_DEPTH + 2 }) },
  { weight: 3, arbitrary: fc.integer({ min: 50, max: 5_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 150_000, max: 200_000 }) },
);

/**
 * JSON text nested `depth` levels deep: bare arrays, bare objects (6 bytes a level, so the deepest are over the
 * size cap), or an object holding arrays, which is a valid `result` shape at any depth.
 */
const deepJson = fc
  .tuple(depth, fc.constantFrom('arrays', 'objects', 'object of arrays'))
  .map(([levels, form]) => {
    if (form === 'arrays') return `${'['.repeat(levels)}1${']'.repeat(levels)}`;
    if (form === 'objects') return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    return `{"a":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`;
  });

/** A JSON object whose keys include prototype-pollution keys, at the top and nested. */
const pollutingObject = fc
  .tuple(protoKey, protoKey, fc.jsonValue({ maxDepth: 2 }))
  .map(
    ([a, b, value]) => `{"${a}":{"polluted":"yes","${b}":{"polluted":"yes"}},"x":${JSON.stringify(value)}}`,
  );

/** Operation ids from a small pool, so some hit registered tasks and some hit none. */
export const operationIndex = fc.integer({ min: 0, max: 29 });

/** A message that passes or nearly passes the schema: right shape, wrong types, prototype keys, deep results. */
const messageLike = fc
  .record({
    op: operationIndex,
    success: fc.oneof(
      { weight: 4, arbitrary: fc.boolean() },
      { weight: 1, arbitrary: fc.constantFrom<unknown>('true', 1, null, [], {}) },
    ),
    taskId: fc.oneof(
      { weight: 4, arbitrary: fc.constant('t') },
      { weight: 1, arbitrary: fc.constantFrom<unknown>('', 7, null, { id: 1 }) },
    ),
    result: fc.oneof(
      fc.constant<string | undefined>(undefined),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      pollutingObject,
      deepJson,
    ),
    extra: fc.option(fc.tuple(protoKey, fc.jsonValue({ maxDepth: 2 })), { nil: undefined }),
  })
  .map(({ op, success, taskId, result, extra }) => {
    const parts = [
      `"operation_id":"op-${op}"`,
      `"task_id":${JSON.stringify(taskId === 't' ? `t-${op}` : taskId)}`,
      `"success":${JSON.stringify(success)}`,
    ];
    if (result !== undefined) parts.push(`"result":${result}`);
    if (extra) parts.push(`"${extra[0]}":${JSON.stringify(extra[1])}`);
    return `{${parts.join(',')}}`;
  });

// Weights: huge values are rare (about 1 value in 150) because each costs megabytes through Redis.
const value = fc.oneof(
  { weight: 60, arbitrary: messageLike },
  { weight: 20, arbitrary: fc.string({ maxLength: 64 }) },
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 20, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 10, arbitrary: pollutingObject },
  { weight: 10, arbitrary: deepJson },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(MIB + 1, 2 * MIB), fc.boolean())
      .map(([size, text]) => (text ? 'x'.repeat(size) : Buffer.alloc(size, 0xff))),
  },
);

const name = fc.oneof(
  { weight: 6, arbitrary: fc.constant('data') },
  { weight: 1, arbitrary: protoKey },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b)) },
);

/** An arbitrary entry: one to four fields with arbitrary names and values. */
export const rawEntry: fc.Arbitrary<RawEntry> = fc
  .array(fc.tuple(name, value), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.flat());
