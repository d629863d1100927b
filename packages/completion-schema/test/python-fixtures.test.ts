import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../src/index.js';

const dir = new URL('./fixtures/python/', import.meta.url);
/** Exact `model_dump_json()` output of the Python original's OperationCompleteMessage. */
const fixtures = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, json: readFileSync(new URL(name, dir), 'utf8') }));

describe('compatibility with the Python original', () => {
  it('has fixtures for object, string and null results and a failure', () => {
    expect(fixtures.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'success-object-result.json',
        'success-string-result.json',
        'success-null-result.json',
        'failure-with-error.json',
      ]),
    );
  });

  for (const { name, json } of fixtures) {
    it(`decodes ${name} and encodes it back byte for byte`, () => {
      const decoded = decode(['data', json]);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.message).toEqual(JSON.parse(json));
      expect(encode(decoded.message)).toEqual(['data', json]);
    });
  }

  it('encodes a message without result/error exactly as pydantic does (nulls present, same order)', () => {
    expect(encode({ task_id: 't-3', success: true, operation_id: 'op-3' })[1]).toBe(
      readFileSync(new URL('success-null-result.json', dir), 'utf8'),
    );
  });
});
