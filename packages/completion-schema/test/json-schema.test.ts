import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildOperationCompleteJsonSchema,
  JSON_SCHEMA_V1_ID,
  jsonSchemaFileName,
  SCHEMA_MAJOR_VERSION,
  SCHEMA_VERSION,
} from '../src/index.js';

describe('JSON Schema artifact', () => {
  it(`schema/${jsonSchemaFileName()} matches the zod schema (run \`pnpm generate:json-schema\` after a change)`, () => {
    const committed = JSON.parse(
      readFileSync(new URL(`../schema/${jsonSchemaFileName()}`, import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(buildOperationCompleteJsonSchema());
  });

  it('requires the three fields and allows unknown ones', () => {
    const schema = buildOperationCompleteJsonSchema();
    expect(schema.required).toEqual(['operation_id', 'task_id', 'success']);
    expect(schema.additionalProperties).not.toBe(false);
  });

  it('names one file per contract version, the .0 minor by its major alone', () => {
    expect(jsonSchemaFileName('1.0')).toBe('operation-complete.v1.json');
    expect(jsonSchemaFileName('1')).toBe('operation-complete.v1.json');
    expect(jsonSchemaFileName('1.1')).toBe('operation-complete.v1.1.json');
    expect(jsonSchemaFileName('2.0')).toBe('operation-complete.v2.json');
    expect(JSON_SCHEMA_V1_ID.endsWith(`/${jsonSchemaFileName('1.0')}`)).toBe(true);
  });

  it('writes a SCHEMA_VERSION of the major it reads', () => {
    expect(SCHEMA_VERSION).toMatch(/^\d+\.\d+$/);
    expect(SCHEMA_VERSION.startsWith(`${SCHEMA_MAJOR_VERSION}.`)).toBe(true);
  });
});
