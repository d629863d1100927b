import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecodeErrorCode, decode, encode, type OperationCompleteMessage } from '../src/index.js';

const CODES: DecodeErrorCode[] = [
  'missing_data_field',
  'invalid_json',
  'schema_violation',
  'too_large',
  'unsupported_version',
];
const RUNS = Number(process.env.PROPERTY_RUNS ?? 500);

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

const validMessage = fc.record(
  {
    operation_id: fc.string({ minLength: 1 }),
    task_id: fc.string({ minLength: 1 }),
    success: fc.boolean(),
    result: fc.oneof(
      fc.constant(null),
      fc.string(),
      fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        fc.jsonValue(),
      ),
    ),
    error: fc.option(fc.string(), { nil: null }),
    schema_version: fc.option(fc.oneof(fc.constant(1), fc.constantFrom('1', '1.0', '1.4')), {
      nil: undefined,
    }),
    published_at: fc.option(
      fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      { nil: undefined },
    ),
    traceparent: fc.option(
      fc
        .tuple(hex(32), hex(16), hex(2))
        .filter(([t, p]) => !/^0+$/.test(t) && !/^0+$/.test(p))
        .map(([t, p, f]) => `00-${t}-${p}-${f}`),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['operation_id', 'task_id', 'success', 'result', 'error'] },
) as unknown as fc.Arbitrary<OperationCompleteMessage>;

function expectCodedOrValid(result: ReturnType<typeof decode>) {
  if (result.ok) {
    expect(typeof result.message.operation_id).toBe('string');
    expect(result.message.operation_id.length).toBeGreaterThan(0);
  } else {
    expect(CODES).toContain(result.error.code);
    expect(typeof result.error.detail).toBe('string');
  }
}

describe('codec properties', () => {
  it('decode(encode(m)) returns m for every valid message', () => {
    fc.assert(
      fc.property(validMessage, (message) => {
        const result = decode(encode(message));
        expect(result).toEqual({ ok: true, message: JSON.parse(JSON.stringify(message)) });
      }),
      { numRuns: RUNS },
    );
  });

  it('decode never throws on arbitrary field lists', () => {
    const value = fc.oneof(
      fc.string(),
      fc.uint8Array().map((b) => Buffer.from(b)),
      fc.integer(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('data'), fc.string(), value), { maxLength: 8 }), (fields) =>
        expectCodedOrValid(decode(fields)),
      ),
      { numRuns: RUNS },
    );
  });

  it('decode never throws on arbitrary strings and JSON in the data field', () => {
    const payload = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.object().map((o) => JSON.stringify(o)),
      fc
        .record({
          operation_id: fc.anything(),
          task_id: fc.anything(),
          success: fc.anything(),
          result: fc.anything(),
        })
        .map((o) => JSON.stringify(o) ?? 'null'),
    );
    fc.assert(
      fc.property(payload, (text) => expectCodedOrValid(decode(['data', text]))),
      { numRuns: RUNS },
    );
  });
});
