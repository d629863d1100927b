import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidMessageFast } from '../src/fast-validate.js';
import { operationCompleteSchema } from '../src/index.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);

class Point {
  x = 1;
}

/** Values of every kind zod may see from a TypeScript caller or from JSON.parse. */
const anyValue = fc.oneof(
  fc.string(),
  fc.constant(''),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue(),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
  fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.double()), { maxKeys: 3 }),
  fc.constant({ nested: { deeper: [1, { bad: Number.NaN }] } }),
  fc.constant({ when: new Date(0) }),
  fc.constant({ point: new Point() }),
  fc.constant(Object.create(null) as object),
  fc.constant(() => 1),
  fc.constant(10n),
  fc.constant(new Date(0)),
  fc.constantFrom('1', '1.4', '2', 1, 2, 0, '1.x', '2026-11-27T10:00:00Z', 'yesterday'),
  fc.constant('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
);

describe('the hand-written validator agrees with the zod schema', () => {
  it('on arbitrary messages near the valid shape', () => {
    const candidate = fc.record(
      {
        operation_id: fc.oneof(fc.string({ minLength: 1 }), anyValue),
        task_id: fc.oneof(fc.string({ minLength: 1 }), anyValue),
        success: fc.oneof(fc.boolean(), anyValue),
        result: anyValue,
        error: fc.oneof(fc.string(), fc.constant(null), anyValue),
        schema_version: anyValue,
        published_at: fc.oneof(fc.constant('2026-11-27T10:00:00.123Z'), anyValue),
        traceparent: anyValue,
        extra: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(candidate, (value) => {
        expect(isValidMessageFast(value)).toBe(operationCompleteSchema.safeParse(value).success);
      }),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(isValidMessageFast(value)).toBe(operationCompleteSchema.safeParse(value).success);
      }),
      { numRuns: RUNS },
    );
  });

  it('checks each stamped field again when its value changes (one parse per value, not per message)', () => {
    const base = { operation_id: 'op', task_id: 't', success: true };
    const at = '2026-01-02T03:04:05.678Z';
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (let i = 0; i < 3; i++)
      expect(isValidMessageFast({ ...base, published_at: at, schema_version: 1, traceparent })).toBe(true);
    // Right after a value was accepted, a different invalid one is still refused, whichever field it is in.
    expect(isValidMessageFast({ ...base, published_at: 'yesterday' })).toBe(false);
    expect(isValidMessageFast({ ...base, published_at: `${at} ` })).toBe(false);
    expect(isValidMessageFast({ ...base, schema_version: 1.5 })).toBe(false);
    expect(isValidMessageFast({ ...base, schema_version: 'v1' })).toBe(false);
    expect(isValidMessageFast({ ...base, traceparent: traceparent.toUpperCase() })).toBe(false);
    expect(isValidMessageFast({ ...base, published_at: at })).toBe(true);
  });
});
