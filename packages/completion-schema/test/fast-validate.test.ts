import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidMessageFast } from '../src/fast-validate.js';
import { operationCompleteSchema } from '../src/index.js';
import { anyValue } from './arbitraries.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);

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
