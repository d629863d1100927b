import { describe, expect, it } from 'vitest';
import {
  ChatPipelineError,
  DEFAULT_DEAD_LETTER_STREAM,
  deadLetterStreamFor,
  decode,
  encode,
  MAX_MESSAGE_BYTES,
  MessageTooLargeError,
  MessageValidationError,
} from '../src/index.js';
import { hashTagOf } from '../src/internal.js';

const base = { operation_id: 'op-1', task_id: 't-1', success: true } as const;
const data = (value: unknown) => ['data', typeof value === 'string' ? value : JSON.stringify(value)];

describe('decode', () => {
  it('accepts the flat field list ioredis returns, Buffers, and records', () => {
    const json = JSON.stringify(base);
    for (const fields of [
      ['other', 'x', 'data', json],
      [Buffer.from('data'), Buffer.from(json)],
      { data: json },
      new Map([['data', json]]),
    ]) {
      const result = decode(fields);
      expect(result).toEqual({ ok: true, message: { ...base, result: null, error: null } });
    }
  });

  it.each([
    ['no data field', ['other', 'x'], 'missing_data_field'],
    ['empty list', [], 'missing_data_field'],
    ['not a list', 42, 'missing_data_field'],
    ['data is a number', { data: 5 }, 'missing_data_field'],
    ['broken JSON', data('{"operation_id":'), 'invalid_json'],
    ['JSON array', data([1, 2]), 'schema_violation'],
    ['empty operation_id', data({ ...base, operation_id: '' }), 'schema_violation'],
    ['success as string', data({ ...base, success: 'true' }), 'schema_violation'],
    ['result as array', data({ ...base, result: [1] }), 'schema_violation'],
    ['result as number', data({ ...base, result: 3 }), 'schema_violation'],
    ['bad traceparent', data({ ...base, traceparent: '00-0000-00-01' }), 'schema_violation'],
    [
      'all-zero trace id',
      data({ ...base, traceparent: `00-${'0'.repeat(32)}-${'a'.repeat(16)}-01` }),
      'schema_violation',
    ],
    ['bad published_at', data({ ...base, published_at: 'yesterday' }), 'schema_violation'],
    ['major version 2', data({ ...base, schema_version: 2 }), 'unsupported_version'],
    ['major version "3.1"', data({ ...base, schema_version: '3.1' }), 'unsupported_version'],
    ['major version "2.0"', data({ ...base, schema_version: '2.0' }), 'unsupported_version'],
    ['version "1.x"', data({ ...base, schema_version: '1.x' }), 'schema_violation'],
    ['version 0', data({ ...base, schema_version: 0 }), 'schema_violation'],
    ['too large', data({ ...base, result: 'x'.repeat(MAX_MESSAGE_BYTES) }), 'too_large'],
  ])('%s → %s', (_label, fields, code) => {
    const result = decode(fields);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.detail.length).toBeGreaterThan(0);
    }
  });

  it('names each offending field in a schema violation', () => {
    const result = decode(data({ operation_id: '', success: 'yes' }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.detail).toContain('operation_id');
      expect(result.error.detail).toContain('task_id');
      expect(result.error.detail).toContain('success');
    }
  });

  it('accepts a valid traceparent and published_at', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const result = decode(data({ ...base, traceparent, published_at: '2026-11-27T10:00:00.000Z' }));
    expect(result).toMatchObject({ ok: true, message: { traceparent } });
  });

  it('applies a custom size cap', () => {
    const result = decode(data({ ...base, result: 'x'.repeat(100) }), { maxBytes: 64 });
    expect(result).toMatchObject({ ok: false, error: { code: 'too_large' } });
  });

  it('does not throw on deeply nested JSON', () => {
    const deep = `{"operation_id":"o","task_id":"t","success":true,"result":{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`;
    const result = decode(['data', deep]);
    expect(typeof result.ok).toBe('boolean');
  });

  it('keeps __proto__ keys as plain data, at the top level and inside result (nothing silently dropped)', () => {
    const json =
      '{"operation_id":"o","task_id":"t","success":true,"result":{"a":{"__proto__":false},"__proto__":{"x":1}},"error":null,"__proto__":{"y":2}}';
    const decoded = decode(['data', json]);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(JSON.stringify(decoded.message)).toBe(json);
    expect(Object.getPrototypeOf(decoded.message)).toBe(Object.prototype);
    expect((decoded.message as Record<string, unknown>).y).toBeUndefined();
    expect(encode(decoded.message)[1]).toBe(json);
  });

  it('does not let __proto__ keys reach Object.prototype', () => {
    const json =
      '{"operation_id":"o","task_id":"t","success":true,"__proto__":{"polluted":1},"result":{"__proto__":{"p":2}}}';
    decode(['data', json]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });
});

// The compatibility policy in README.md ("Compatibility policy"), proved against today's decoder.
describe('schema evolution', () => {
  it('reads a newer minor with fields it does not know, and keeps them (a minor adds optional fields only)', () => {
    const newer = {
      ...base,
      schema_version: '1.9',
      priority: 'high',
      retry_after_ms: 250,
      extra: { a: [1] },
    };
    const result = decode(data(newer));
    expect(result).toEqual({ ok: true, message: { ...newer, result: null, error: null } });
    // Passing it on (re-encoding) loses nothing a newer consumer would need.
    if (result.ok)
      expect(JSON.parse(encode(result.message)[1])).toEqual({ ...newer, result: null, error: null });
  });

  it.each([
    ['absent (means 1)', undefined],
    ['integer 1', 1],
    ['"1"', '1'],
    ['"1.0"', '1.0'],
    ['"1.12"', '1.12'],
  ])('reads schema_version %s', (_label, version) => {
    const result = decode(data({ ...base, schema_version: version }));
    expect(result.ok).toBe(true);
  });

  it.each([
    [2, '2'],
    ['2', '"2"'],
    ['2.0', '"2.0"'],
    ['17.3', '"17.3"'],
  ])(
    'refuses schema_version %j as unsupported_version, naming the version and what it reads',
    (version, shown) => {
      const result = decode(data({ ...base, schema_version: version }));
      expect(result).toEqual({
        ok: false,
        error: {
          code: 'unsupported_version',
          detail: `schema_version ${shown} has major ${Number.parseInt(String(version), 10)}; this decoder reads major 1`,
        },
      });
    },
  );

  it('refuses an unknown major before reading any field, so a reshaped message is never mis-read', () => {
    // A v2 message may rename or retype v1 fields; it must be reported as a version problem, not a broken v1.
    const v2 = { schema_version: '2.0', operation: { id: 'op-1' }, task: 't-1', success: 'yes' };
    expect(decode(data(v2))).toMatchObject({ ok: false, error: { code: 'unsupported_version' } });
  });
});

describe('encode', () => {
  it('returns the XADD field list with the wire JSON', () => {
    expect(encode({ ...base, result: 'done' })).toEqual([
      'data',
      '{"operation_id":"op-1","task_id":"t-1","success":true,"result":"done","error":null}',
    ]);
  });

  it('throws a typed validation error carrying the zod issues', () => {
    let caught: unknown;
    try {
      encode({ ...base, task_id: '' });
    } catch (error) {
      caught = error;
    }
    expect(MessageValidationError.isInstance(caught)).toBe(true);
    expect(ChatPipelineError.isInstance(caught)).toBe(true);
    expect(MessageTooLargeError.isInstance(caught)).toBe(false);
    const error = caught as MessageValidationError;
    expect(error.code).toBe('schema_violation');
    expect(error.issues[0]?.path).toEqual(['task_id']);
  });

  it('throws a typed too_large error over the cap, counting bytes not characters', () => {
    // 400 000 three-byte characters: 1.2 MB in UTF-8, 400 k UTF-16 units.
    const big = { ...base, result: '€'.repeat(400_000) };
    expect(() => encode(big)).toThrow(MessageTooLargeError);
    try {
      encode(big);
    } catch (error) {
      expect((error as MessageTooLargeError).code).toBe('too_large');
      expect((error as MessageTooLargeError).sizeBytes).toBeGreaterThan(MAX_MESSAGE_BYTES);
    }
  });
});

describe('keys', () => {
  it('puts the dead-letter stream in the source stream hash slot', () => {
    expect(DEFAULT_DEAD_LETTER_STREAM).toBe('{chat:completions}:dlq');
    expect(deadLetterStreamFor('chat:completions:{3}')).toBe('chat:completions:{3}:dlq');
    expect(hashTagOf('{chat:completions}:dlq')).toBe('chat:completions');
    expect(hashTagOf('a{}b')).toBeUndefined();
  });
});
