import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOperationCompleteJsonSchema } from '../src/index.js';

describe('JSON Schema artifact', () => {
  it('schema/operation-complete.v1.json matches the zod schema (run `pnpm generate:json-schema` after a change)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../schema/operation-complete.v1.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(buildOperationCompleteJsonSchema());
  });

  it('requires the three fields and allows unknown ones', () => {
    const schema = buildOperationCompleteJsonSchema();
    expect(schema.required).toEqual(['operation_id', 'task_id', 'success']);
    expect(schema.additionalProperties).not.toBe(false);
  });
});
